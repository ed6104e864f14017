"""The words needle content is drawn from: places, names, colours, rooms, reminders, distractor
chatter, and things a haystack never shows (for "absent" questions).

Changing a list changes what every seed draws; haystacks built before would no longer match their
seed."""

from __future__ import annotations

DIGIT_WORDS = "zero one two three four five six seven eight nine".split()
PLACES = ["airport", "train station", "city centre", "harbour", "university", "stadium"]
TITLES = ["Doctor", "Professor", "Ms", "Mr", "Captain"]
SURNAMES = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Alvarez", "Kowalski", "Brennan", "Haddad"]
COLOURS = ["red", "blue", "green", "white", "silver", "orange", "black", "yellow"]
ROOMS = ["equipment room", "server room", "workshop", "archive", "kitchen"]
ITEMS = [
    "black umbrella",
    "set of keys",
    "brown wallet",
    "blue backpack",
    "pair of glasses",
    "grey scarf",
]
CITIES = ["Lisbon", "Oslo", "Dublin", "Vienna", "Prague", "Athens", "Krakow", "Seville"]
TEAMS = ["design", "finance", "safety", "marketing", "research"]
FLOORS = ["second", "third", "fourth", "fifth", "sixth", "seventh"]
WIFI = ["ORCHID", "COMET", "MAPLE", "HARBOR", "QUARTZ", "FALCON"]
WINGS = ["EAST", "WEST", "NORTH", "SOUTH"]
VAN_PLACES = ["main entrance", "loading bay", "side gate"]
LOST_PLACES = ["lifts", "main stairs", "cafeteria"]
FLIGHT_LETTERS = "ABCDEFGHKLMNPRSTUVWXZ"
LOADS_KG = [150, 200, 250, 300, 400, 500, 750]
OTHER_LOADS_KG = [100, 150, 200, 250, 300, 400, 500, 750, 1000]
TRAIN_MINUTES = [5, 10, 20, 25, 35, 40, 50, 55]
REMINDERS = [
    "switch off the lights in empty meeting rooms",
    "wear your visitor badge at all times",
    "keep the fire exits clear",
    "return the trolleys to the loading bay",
]
CHATTER = [
    "Good afternoon, and welcome to the building.",
    "Thank you for waiting, we will be with you shortly.",
    "The cafeteria is now serving hot drinks.",
    "Please mind the step when leaving the lift.",
    "We hope you enjoy your visit today.",
    "Light showers are expected later this evening.",
]
ABSENT_SAFE = ["basement", "pharmacy", "gift shop", "garage"]
ABSENT_FACILITY = ["sauna", "rooftop garden", "library", "climbing wall"]
ABSENT_ANIMALS = ["giraffe", "penguin", "elephant", "zebra", "kangaroo"]
VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb+m3")
SIGN_STYLES = ["sign", "caption", "banner"]
