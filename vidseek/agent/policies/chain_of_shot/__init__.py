"""The ``chain_of_shot`` policy (after VideoChat-A1): glance at the whole video, write the key
information and search queries, select the candidate shots, look closer at them, and answer with
a 1-3 confidence; while not confident, loop with refined queries.

``phases`` drives the steps, ``evidence`` reads the findings of earlier calls into what the
prompts show, ``answering`` asks the model narrow JSON-constrained questions and ``matching``
checks answers against the evidence word for word.
"""

from __future__ import annotations

from vidseek.agent.policies.chain_of_shot.evidence import Item, candidates, evidence_items
from vidseek.agent.policies.chain_of_shot.matching import asks_time, mentions, states
from vidseek.agent.policies.chain_of_shot.phases import ChainOfShotPolicy, ChainOfShotState

__all__ = [
    "ChainOfShotPolicy",
    "ChainOfShotState",
    "Item",
    "asks_time",
    "candidates",
    "evidence_items",
    "mentions",
    "states",
]
