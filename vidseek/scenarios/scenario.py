"""The scenario file (YAML): which questions, which videos, which profile, policy and budgets.

Paths may use environment variables (``${LVBENCH_ROOT}``, ``${VAR:-default}``) and are relative to
the scenario file, so shipped scenarios point at a video root the user sets."""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vidseek.config import PROFILE_MODELS, Settings
from vidseek.errors import ConfigError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Budgets(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_steps: int | None = Field(None, ge=1)
    max_frames: int | None = Field(None, ge=0)
    max_tokens: int | None = Field(None, ge=1)
    max_wall_s: float | None = Field(None, gt=0)


class Scenario(BaseModel):
    """One experiment: a question set, the configuration that answers it, and how to run it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    dataset: str
    annotations: Path
    video_root: Path | None = None
    loader_options: dict[str, Any] = Field(default_factory=dict)
    profile: Literal["offline", "openai", "local-gpu"] | None = None
    policy: Literal["dvd", "chain_of_shot"] | None = None
    budgets: Budgets = Field(default_factory=Budgets)
    settings: dict[str, Any] = Field(default_factory=dict, description="more Settings overrides")
    concurrency: int = Field(2, ge=1, le=64)
    sample: int | None = Field(None, ge=1, description="a random sample of this many questions")
    seed: int = 0
    limit: int | None = Field(None, ge=1, description="at most this many questions (after sample)")
    task_types: list[str] | None = None
    qids: list[str] | None = None
    output: Path | None = Field(None, description="the run's JSONL (default runs/<name>.jsonl)")
    source: Path | None = Field(None, exclude=True)

    def settings_for(self, base: Settings) -> Settings:
        """``base`` with this scenario's profile, policy, budgets and overrides applied."""
        data = base.model_dump(exclude_unset=True)
        if self.profile and self.profile != base.profile:
            old = PROFILE_MODELS.get(base.profile, {})
            models = data.get("models", {})
            data["models"] = {k: v for k, v in models.items() if not (k in old and old[k] == v)}
            data["profile"] = self.profile
        agent = dict(data.get("agent", {}))
        if self.policy:
            agent["policy"] = self.policy
        agent.update(self.budgets.model_dump(exclude_none=True))
        data["agent"] = agent
        data = _deep_merge(data, self.settings)
        try:
            return Settings(**data)
        except ValidationError as exc:
            raise ConfigError(
                f"{self.source or self.name}: bad settings ({_first_error(exc)})"
            ) from None


def _deep_merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        out[k] = (
            _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        )
    return out


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def expand(value: str, where: object) -> str:
    """Replace ``${VAR}`` / ``${VAR:-default}``; an unset variable without default is an error."""

    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in os.environ and os.environ[name]:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(f"{where}: environment variable {name} is not set (it names a path)")

    return _VAR.sub(sub, value)


def shipped_scenarios() -> dict[str, Path]:
    """Scenario files shipped in vidseek/scenarios/files, by name."""
    folder = resources.files("vidseek.scenarios") / "files"
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".yaml")}


def _is_shipped(path: Path) -> bool:
    folder = Path(str(resources.files("vidseek.scenarios") / "files")).resolve()
    return path.resolve().parent == folder


def load_scenario(path_or_name: str | Path) -> Scenario:
    """A scenario from a YAML file, or a shipped one by name (e.g. 'dev10')."""
    path = Path(path_or_name).expanduser()
    if not path.is_file():
        shipped = shipped_scenarios()
        if str(path_or_name) in shipped:
            path = shipped[str(path_or_name)]
        else:
            raise ConfigError(
                f"{path_or_name}: no such scenario file (shipped: {', '.join(sorted(shipped))})"
            )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a scenario is a YAML mapping (name, dataset, annotations, ...)")
    raw.setdefault("name", path.stem)
    for key in ("annotations", "video_root", "output"):
        if isinstance(raw.get(key), str):
            value = Path(expand(raw[key], f"{path} ({key})")).expanduser()
            # relative paths: to the scenario file, except output and shipped scenarios (the cwd)
            if key != "output" and not value.is_absolute() and not _is_shipped(path):
                value = path.parent / value
            raw[key] = value
    try:
        scenario = Scenario(**raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_first_error(exc)}") from None
    scenario.source = path
    return scenario
