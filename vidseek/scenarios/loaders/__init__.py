"""Benchmark loaders: each maps one benchmark's annotation files into ``QARecord``s.

``load_dataset(name, path, video_root)`` picks the loader by name; ``path`` is the annotation file
or its folder, ``video_root`` the folder holding the videos (may be absent: records then carry no
path, and a missing video is reported per question by the runner, never here). Loaders register
through the ``register_scenario_loaders`` hook (``vidseek.plugins``): the built-ins below and any
plug-in's, so a new benchmark needs no edit here."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidseek import plugins
from vidseek.plugins import hookimpl
from vidseek.scenarios.loaders.common import DatasetError
from vidseek.scenarios.records import QARecord

LoadFn = Callable[..., list[QARecord]]

# built-in name -> (module under vidseek.scenarios.loaders, aliases)
BUILTIN_LOADERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "lvbench": ("lvbench", ()),
    "videomme": ("videomme", ("video-mme", "video_mme")),
    "longvideobench": ("longvideobench", ()),
    "mlvu": ("mlvu", ()),
    "egoschema": ("egoschema", ()),
    "lvhaystack": ("lvhaystack", ("lv-haystack",)),
    "qvhighlights": ("qvhighlights", ()),
    "charades_sta": ("charades_sta", ("charades-sta",)),
    "nextqa": ("nextqa", ("next-qa",)),
    "activitynetqa": ("activitynetqa", ("activitynet-qa",)),
    "haystack": ("vidseek_haystack", ("vidseek", "dev10")),
}


def _lazy(module: str) -> LoadFn:
    """A loader that imports its module on first use."""

    def load(path: Path, video_root: Path | None, **options: Any) -> list[QARecord]:
        mod = importlib.import_module(f"vidseek.scenarios.loaders.{module}")
        return mod.load(path, video_root, **options)

    load.__name__ = f"load_{module}"
    return load


@hookimpl
def register_scenario_loaders(register) -> None:
    for name, (module, aliases) in BUILTIN_LOADERS.items():
        register(name, _lazy(module), aliases=aliases)


@dataclass(frozen=True)
class ScenarioLoader:
    name: str
    load: LoadFn
    aliases: tuple[str, ...]
    plugin: str


def scenario_loaders(include_plugins: bool | None = None) -> dict[str, ScenarioLoader]:
    """Every registered loader by name; a name or alias registered twice is a DatasetError."""
    table: dict[str, ScenarioLoader] = {}
    owner: dict[str, str] = {}
    pm = plugins.get_plugin_manager(include_plugins)
    for reg in plugins.registrations("register_scenario_loaders", pm):
        if len(reg.args) != 2 or not callable(reg.args[1]) or set(reg.kwargs) - {"aliases"}:
            raise DatasetError(
                reg.plugin, "register_scenario_loaders takes register(name, load, aliases=())"
            )
        name = str(reg.args[0]).lower()
        aliases = tuple(str(a).lower() for a in reg.kwargs.get("aliases", ()))
        for key in (name, *aliases):
            if key in owner:
                raise DatasetError(
                    reg.plugin, f"dataset name '{key}' is already registered by '{owner[key]}'"
                )
            owner[key] = reg.plugin
        table[name] = ScenarioLoader(name, reg.args[1], aliases, reg.plugin)
    return table


def dataset_names() -> list[str]:
    return sorted(scenario_loaders())


def find_loader(name: str) -> ScenarioLoader | None:
    """The loader a dataset name (or alias, any case) names, or None."""
    key = name.lower()
    table = scenario_loaders()
    return table.get(key) or next((ld for ld in table.values() if key in ld.aliases), None)


def load_dataset(
    name: str, path: str | Path, video_root: str | Path | None = None, **options: Any
) -> list[QARecord]:
    """Questions of benchmark ``name`` from ``path``; ``options`` go to that loader (e.g.
    ``answers=`` for EgoSchema, ``open_ended=False`` for MLVU)."""
    loader = find_loader(name)
    if loader is None:
        raise DatasetError(name, f"unknown dataset; known: {', '.join(dataset_names())}")
    root = Path(video_root).expanduser() if video_root is not None else None
    records: list[QARecord] = loader.load(Path(path).expanduser(), root, **options)
    seen: set[str] = set()
    for rec in records:
        if not isinstance(rec, QARecord):
            raise DatasetError(path, f"loader '{loader.name}' returned {type(rec).__name__}")
        if rec.qid in seen:
            raise DatasetError(path, f"question id {rec.qid!r} appears twice")
        seen.add(rec.qid)
    return records


def __getattr__(name: str) -> object:
    """``LOADERS`` (name -> load function) and ``ALIASES`` (alias -> name): derived from the
    registrations."""
    if name == "LOADERS":
        return {n: ld.load for n, ld in scenario_loaders().items()}
    if name == "ALIASES":
        return {a: ld.name for ld in scenario_loaders().values() for a in ld.aliases}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ALIASES",
    "BUILTIN_LOADERS",
    "DatasetError",
    "LOADERS",
    "QARecord",
    "ScenarioLoader",
    "dataset_names",
    "find_loader",
    "load_dataset",
    "scenario_loaders",
]
