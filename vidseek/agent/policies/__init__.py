"""Planner policies: ``dvd`` (free tool choice with a guide) and ``chain_of_shot`` (a fixed,
structured loop that small models can follow)."""

from __future__ import annotations

from vidseek.agent.policies.chain_of_shot import ChainOfShotPolicy
from vidseek.agent.policies.dvd import DvdPolicy
from vidseek.errors import ConfigError

POLICIES = {"dvd": DvdPolicy, "chain_of_shot": ChainOfShotPolicy}


def get_policy(name: str) -> DvdPolicy | ChainOfShotPolicy:
    try:
        return POLICIES[name]()
    except KeyError:
        raise ConfigError(f"unknown policy '{name}' (known: {', '.join(POLICIES)})") from None


__all__ = ["POLICIES", "ChainOfShotPolicy", "DvdPolicy", "get_policy"]
