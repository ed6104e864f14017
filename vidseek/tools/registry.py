"""The tool registry: built-ins and plug-ins register through the ``register_tools`` hook
(``vidseek.plugins``).

``load_tools(settings)`` builds the set of tools a run offers: the built-ins (registered by
``vidseek.tools.builtin``), plus the plug-ins found through entry points (groups ``vidseek`` and
``vidseek.tools``), filtered by ``settings.tools.allow`` / ``deny``. Entry-point plug-ins are not
loaded when ``VIDSEEK_DISABLE_PLUGINS=1`` (set by the test suite) or ``tools.load_plugins`` is off,
unless the caller asks for them, so a package installed in a developer's environment cannot change
what a test sees.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

from vidseek import plugins
from vidseek.errors import ConfigError
from vidseek.plugins import DISABLE_ENV
from vidseek.tools.base import Tool

if TYPE_CHECKING:
    from vidseek.config import Settings

log = logging.getLogger(__name__)

ALWAYS_OFFERED = ("finish",)  # a run cannot end without it


@dataclass(frozen=True)
class ToolSource:
    """Where a registered tool came from (for ``vidseek tools list``)."""

    name: str
    plugin: str
    module: str


def plugins_enabled(settings: Settings, include_plugins: bool | None = None) -> bool:
    """Whether entry-point plug-ins load: an explicit argument wins, then the env switch, then
    ``settings.tools.load_plugins``."""
    if include_plugins is not None:
        return include_plugins
    return plugins.plugins_enabled() and settings.tools.load_plugins


def plugin_manager(load_entry_points: bool) -> pluggy.PluginManager:
    """A new plugin manager to discover tools from (``vidseek.plugins.plugin_manager``)."""
    return plugins.plugin_manager(load_entry_points)


def _as_tool(obj: Any, plugin: str) -> Tool:
    if isinstance(obj, type) and issubclass(obj, Tool):
        obj = obj()
    if not isinstance(obj, Tool):
        raise ConfigError(
            f"plug-in '{plugin}' registered {obj!r}, which is not a Tool (subclass Tool or use @tool)"
        )
    for attr in ("name", "description"):
        if not isinstance(getattr(obj, attr, None), str) or not getattr(obj, attr):
            raise ConfigError(f"plug-in '{plugin}' registered a tool without a {attr}")
    return obj


def discover(
    settings: Settings, include_plugins: bool | None = None
) -> tuple[dict[str, Tool], dict[str, ToolSource]]:
    """Every registered tool (before allow/deny) and where each came from."""
    pm = plugin_manager(plugins_enabled(settings, include_plugins))
    tools: dict[str, Tool] = {}
    sources: dict[str, ToolSource] = {}
    for reg in plugins.registrations("register_tools", pm):
        if len(reg.args) != 1 or reg.kwargs:
            raise ConfigError(f"plug-in '{reg.plugin}': register_tools takes register(tool)")
        inst = _as_tool(reg.args[0], reg.plugin)
        if inst.name in tools:
            raise ConfigError(
                f"tool '{inst.name}' is registered twice: by '{sources[inst.name].plugin}' and "
                f"by '{reg.plugin}'; rename one, or block a plug-in"
            )
        tools[inst.name] = inst
        sources[inst.name] = ToolSource(inst.name, reg.plugin, type(inst).__module__)
    return tools, sources


def select(tools: dict[str, Tool], settings: Settings) -> dict[str, Tool]:
    """Apply ``settings.tools.allow`` and ``deny``; names that match nothing are a config error."""
    allow, deny = settings.tools.allow, list(settings.tools.deny)
    known = ", ".join(sorted(tools))
    for name in [*(allow or []), *deny]:
        if name not in tools:
            raise ConfigError(f"tools setting names unknown tool '{name}' (known: {known})")
    for name in ALWAYS_OFFERED:
        if name in deny:
            raise ConfigError(f"tools.deny cannot remove '{name}': a run cannot end without it")
    chosen = {
        name: t
        for name, t in tools.items()
        if (allow is None or name in allow or name in ALWAYS_OFFERED) and name not in deny
    }
    return chosen


def load_tools(settings: Settings, include_plugins: bool | None = None) -> dict[str, Tool]:
    """The tools a run offers, by name: built-ins (in design order, ``finish`` last) then
    plug-ins, after allow/deny.

    ``include_plugins``: ``None`` follows ``VIDSEEK_DISABLE_PLUGINS`` and
    ``settings.tools.load_plugins``; ``True``/``False`` force entry-point plug-ins on or off.
    """
    tools, _ = discover(settings, include_plugins)
    return select(tools, settings)


def tool_specs(tools: dict[str, Tool]) -> list[dict[str, Any]]:
    """OpenAI function specs of ``tools``, exactly as the planner sees them."""
    return [t.openai_spec() for t in tools.values()]


__all__ = [
    "ALWAYS_OFFERED",
    "DISABLE_ENV",
    "ToolSource",
    "discover",
    "load_tools",
    "plugin_manager",
    "plugins_enabled",
    "select",
    "tool_specs",
]
