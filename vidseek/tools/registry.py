"""The tool registry: built-ins and plug-ins register through one pluggy hook.

``load_tools(settings)`` builds the set of tools a run offers: the built-ins (registered by
``vidseek.tools.builtin`` through ``register_tools``), plus the plug-ins found through entry points in
group ``vidseek.tools``, filtered by ``settings.tools.allow`` / ``deny``. Entry-point plug-ins are not
loaded when ``VIDSEEK_DISABLE_PLUGINS=1`` (set by the test suite) unless the caller asks for them, so
a package installed in a developer's environment cannot change what a test sees.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

from vidseek.errors import ConfigError
from vidseek.tools.base import Tool
from vidseek.tools.hookspecs import ENTRY_POINT_GROUP, PROJECT, VidseekSpec

if TYPE_CHECKING:
    from vidseek.config import Settings

log = logging.getLogger(__name__)

DISABLE_ENV = "VIDSEEK_DISABLE_PLUGINS"
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
    if os.environ.get(DISABLE_ENV, "").strip().lower() in {"1", "true", "yes"}:
        return False
    return settings.tools.load_plugins


def plugin_manager(load_entry_points: bool) -> pluggy.PluginManager:
    """A fresh plugin manager with the built-ins and (optionally) the entry-point plug-ins."""
    from vidseek.tools import builtin

    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(VidseekSpec)
    pm.register(builtin, name="vidseek.builtin")
    if load_entry_points:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                raise ConfigError(
                    f"plug-in '{ep.name}' ({ep.value}, entry point group {ENTRY_POINT_GROUP}) "
                    f"failed to import: {type(exc).__name__}: {exc}"
                ) from exc
            pm.register(plugin, name=ep.name)
    return pm


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
    for impl in pm.hook.register_tools.get_hookimpls():
        plugin_name = pm.get_name(impl.plugin) or repr(impl.plugin)

        def register(obj: Any, _plugin: str = plugin_name) -> Any:
            inst = _as_tool(obj, _plugin)
            if inst.name in tools:
                raise ConfigError(
                    f"tool '{inst.name}' is registered twice: by '{sources[inst.name].plugin}' and "
                    f"by '{_plugin}'; rename one, or block a plug-in"
                )
            tools[inst.name] = inst
            sources[inst.name] = ToolSource(inst.name, _plugin, type(inst).__module__)
            return obj

        impl.function(register=register)
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
