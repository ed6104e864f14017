"""``python -m vidseek.cli``."""

from vidseek.cli import main

main()
