"""Planner policies: ``dvd`` (free tool choice with a guide) and ``chain_of_shot`` (a fixed,
structured loop that small models can follow), plus any registered by plug-ins through the
``register_policies`` hook (``vidseek.plugins``). The built-ins register through that hook too, so
``POLICIES`` and ``get_policy`` see one table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vidseek import plugins
from vidseek.agent.policies.chain_of_shot import ChainOfShotPolicy
from vidseek.agent.policies.dvd import DvdPolicy
from vidseek.errors import ConfigError
from vidseek.plugins import hookimpl

PolicyFactory = Callable[[], Any]


@hookimpl
def register_policies(register) -> None:
    register("chain_of_shot", ChainOfShotPolicy)
    register("dvd", DvdPolicy)


def policies(include_plugins: bool | None = None) -> dict[str, PolicyFactory]:
    """Every registered policy: name -> factory (built-ins first)."""
    table: dict[str, PolicyFactory] = {}
    owner: dict[str, str] = {}
    pm = plugins.get_plugin_manager(include_plugins)
    for reg in plugins.registrations("register_policies", pm):
        if len(reg.args) != 2 or reg.kwargs or not callable(reg.args[1]):
            raise ConfigError(
                f"plug-in '{reg.plugin}': register_policies takes register(name, factory)"
            )
        name = str(reg.args[0])
        if name in owner:
            raise ConfigError(
                f"policy '{name}' is registered twice: by '{owner[name]}' and by '{reg.plugin}'"
            )
        owner[name], table[name] = reg.plugin, reg.args[1]
    return table


def policy_names() -> list[str]:
    return list(policies())


def get_policy(name: str) -> Any:
    """A new policy object by name; an unknown name is a ConfigError listing the known ones."""
    table = policies()
    if name not in table:
        raise ConfigError(f"unknown policy '{name}' (known: {', '.join(table)})")
    return table[name]()


def __getattr__(name: str) -> object:
    """``POLICIES``: name -> factory, derived from the registrations."""
    if name == "POLICIES":
        return policies()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "POLICIES",
    "ChainOfShotPolicy",
    "DvdPolicy",
    "PolicyFactory",
    "get_policy",
    "policies",
    "policy_names",
]
