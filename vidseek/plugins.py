"""vidseek's one plug-in surface: the pluggy hook specs for every kind of extension, and the plugin
manager that calls them.

Kinds of extension, one hook each (a plug-in implements any of them with ``@hookimpl``):

- ``register_tools(register)``: tools the planner can call (``vidseek.tools.base.Tool``);
- ``register_model_backends(register)``: model backends, i.e. the ``backend:`` prefixes of model
  references (``vidseek.models.backends.ModelBackend``: roles served, reference form, capabilities);
- ``register_policies(register)``: planner policies, ``register(name, factory)``;
- ``register_scenario_loaders(register)``: benchmark loaders, ``register(name, load, aliases=())``;
- ``register_commands(cli)``: commands added to the ``vidseek`` command line (a typer app).

The built-ins of each kind register through the same hooks (``DEFAULT_PLUGINS``, as simonw/llm's
``default_plugins`` do), so the tables other modules read (tools, backends, policies, loaders) are
derived from the registrations, never written out twice. Third-party packages are found through the
entry-point group ``vidseek`` (any hook) and, for tool plug-ins written before it, ``vidseek.tools``.
``VIDSEEK_DISABLE_PLUGINS=1`` (set by the test suite) keeps entry-point plug-ins out unless a caller
asks for them explicitly.

This module is a leaf: it imports nothing of vidseek at import time (the built-in plug-in modules
are imported by name when a manager is first built).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pluggy

PROJECT = "vidseek"
ENTRY_POINT_GROUP = "vidseek"  # plug-ins of any kind
TOOLS_ENTRY_POINT_GROUP = "vidseek.tools"  # tool plug-ins (the group vidseek had first)
ENTRY_POINT_GROUPS = (ENTRY_POINT_GROUP, TOOLS_ENTRY_POINT_GROUP)
DISABLE_ENV = "VIDSEEK_DISABLE_PLUGINS"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

# (plug-in name, module, the hook it implements): the built-ins, registered through the hooks like
# any plug-in. Each is imported when its hook is first called, so parsing a model reference does
# not import the agent, and listing tools does not import the scenario loaders.
DEFAULT_PLUGINS: tuple[tuple[str, str, str], ...] = (
    ("vidseek.builtin", "vidseek.tools.builtin", "register_tools"),
    ("vidseek.models", "vidseek.models.builtin_backends", "register_model_backends"),
    ("vidseek.servers", "vidseek.servers.backend", "register_model_backends"),
    ("vidseek.testing", "vidseek.testing.backend", "register_model_backends"),
    ("vidseek.policies", "vidseek.agent.policies", "register_policies"),
    ("vidseek.loaders", "vidseek.scenarios.loaders", "register_scenario_loaders"),
    ("vidseek.serve", "vidseek.api.commands", "register_commands"),
)
_DEFAULT_NAMES = tuple(name for name, _, _ in DEFAULT_PLUGINS)


class VidseekSpec:
    """The hook specifications. Hooks are only ever added (a plug-in written for an older vidseek
    keeps working)."""

    @hookspec
    def register_tools(self, register: Callable[[Any], Any]) -> None:
        """Call ``register(tool)`` for every tool this plug-in offers.

        ``tool`` is a ``Tool`` subclass, a ``Tool`` instance, or a function decorated with
        ``vidseek.tools.base.tool`` (which turns into a ``Tool`` subclass).
        """

    @hookspec
    def register_model_backends(self, register: Callable[[Any], Any]) -> None:
        """Call ``register(backend)`` with a ``vidseek.models.backends.ModelBackend`` for every
        model backend (reference prefix) this plug-in offers: the roles it serves with a loader
        each, how its reference is parsed, and what its chat models can do."""

    @hookspec
    def register_policies(self, register: Callable[..., Any]) -> None:
        """Call ``register(name, factory)`` for every planner policy: ``factory()`` returns an
        object with ``plan(run, state)`` (see ``vidseek.agent.policies``). ``name`` is what
        ``agent.policy`` (``--policy``) selects."""

    @hookspec
    def register_scenario_loaders(self, register: Callable[..., Any]) -> None:
        """Call ``register(name, load, aliases=())`` for every benchmark loader:
        ``load(path, video_root, **options)`` returns a list of
        ``vidseek.scenarios.records.QARecord``; a scenario's ``dataset`` names it."""

    @hookspec
    def register_commands(self, cli: Any) -> None:
        """Add commands to the ``vidseek`` command line: ``cli`` is its ``typer.Typer`` app
        (``@cli.command()``, ``cli.add_typer(...)``)."""


@dataclass(frozen=True)
class Registration:
    """One ``register(...)`` call made by a plug-in's hook."""

    plugin: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)


_MANAGERS: dict[bool, pluggy.PluginManager] = {}
_EXTRA: list[tuple[object, str]] = []
_LOCK = threading.RLock()


def plugins_enabled(include_plugins: bool | None = None) -> bool:
    """Whether entry-point plug-ins load: an explicit argument wins, else not when
    ``VIDSEEK_DISABLE_PLUGINS`` is set to 1 / true / yes."""
    if include_plugins is not None:
        return include_plugins
    return os.environ.get(DISABLE_ENV, "").strip().lower() not in {"1", "true", "yes"}


def plugin_manager(load_entry_points: bool) -> pluggy.PluginManager:
    """A new plugin manager with the plug-ins of ``registered`` blocks and (optionally) the
    entry-point plug-ins; the built-ins join when their hook is first called."""
    from vidseek.errors import ConfigError

    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(VidseekSpec)
    with _LOCK:
        for plugin, name in _EXTRA:
            pm.register(plugin, name=name)
    if not load_entry_points:
        return pm
    for group in ENTRY_POINT_GROUPS:
        for ep in importlib.metadata.entry_points(group=group):
            if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                raise ConfigError(
                    f"plug-in '{ep.name}' ({ep.value}, entry point group {group}) failed to "
                    f"import: {type(exc).__name__}: {exc}"
                ) from exc
            if pm.is_registered(plugin):  # the same module under both groups
                continue
            pm.register(plugin, name=ep.name)
    return pm


def get_plugin_manager(include_plugins: bool | None = None) -> pluggy.PluginManager:
    """The shared plugin manager (built once per process and setting), from which the tables of
    backends, policies and loaders are derived."""
    load = plugins_enabled(include_plugins)
    with _LOCK:
        pm = _MANAGERS.get(load)
        if pm is None:
            pm = _MANAGERS[load] = plugin_manager(load)
        return pm


def reset() -> None:
    """Forget the shared managers (after installing or removing a plug-in package)."""
    with _LOCK:
        _MANAGERS.clear()


@contextlib.contextmanager
def registered(plugin: object, name: str) -> Iterator[None]:
    """Register ``plugin`` (a module or object with ``@hookimpl`` functions) on the shared
    managers for the block's duration: for tests and notebooks, without an installed package."""
    with _LOCK:
        _EXTRA.append((plugin, name))
        for pm in _MANAGERS.values():
            pm.register(plugin, name=name)
    try:
        yield
    finally:
        with _LOCK:
            _EXTRA.remove((plugin, name))
            for pm in _MANAGERS.values():
                if pm.is_registered(plugin):
                    pm.unregister(plugin)


def registrations(hook: str, pm: pluggy.PluginManager | None = None) -> list[Registration]:
    """Every ``register(...)`` call made through ``hook`` by every plug-in, built-ins first (in
    ``DEFAULT_PLUGINS`` order), then plug-ins in the order they were loaded."""
    pm = pm if pm is not None else get_plugin_manager()
    _register_defaults(pm, hook)
    impls = getattr(pm.hook, hook).get_hookimpls()
    rank = {name: i for i, name in enumerate(_DEFAULT_NAMES)}
    impls = sorted(impls, key=lambda i: rank.get(pm.get_name(i.plugin) or "", len(rank)))
    calls: list[Registration] = []
    for impl in impls:
        plugin = pm.get_name(impl.plugin) or repr(impl.plugin)

        def register(*args: Any, _plugin: str = plugin, **kwargs: Any) -> Any:
            calls.append(Registration(_plugin, args, kwargs))
            return args[0] if args else None

        impl.function(register=register)
    return calls


def _register_defaults(pm: pluggy.PluginManager, hook: str) -> None:
    """Import and register the built-in plug-ins of ``hook`` (once per manager)."""
    with _LOCK:
        for name, module, implements in DEFAULT_PLUGINS:
            if implements == hook and pm.get_plugin(name) is None and not pm.is_blocked(name):
                pm.register(importlib.import_module(module), name=name)


def add_plugin_commands(cli: Any, include_plugins: bool | None = None) -> None:
    """Let every plug-in add its commands to the ``vidseek`` typer app (the CLI calls this once,
    after defining its own commands)."""
    pm = get_plugin_manager(include_plugins)
    _register_defaults(pm, "register_commands")
    pm.hook.register_commands(cli=cli)


__all__ = [
    "DEFAULT_PLUGINS",
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "ENTRY_POINT_GROUPS",
    "PROJECT",
    "TOOLS_ENTRY_POINT_GROUP",
    "Registration",
    "VidseekSpec",
    "add_plugin_commands",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "plugin_manager",
    "plugins_enabled",
    "registered",
    "registrations",
    "reset",
]
