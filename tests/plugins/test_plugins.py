"""The one plug-in surface: built-ins register through the hooks, the tables are derived from the
registrations, and a plug-in of each kind joins them with no edit to vidseek."""

from __future__ import annotations

import types

import pytest
import typer
from typer.testing import CliRunner

from vidseek import plugins
from vidseek.agent.policies import get_policy, policies
from vidseek.errors import ConfigError, VidseekError
from vidseek.models import refs
from vidseek.models.backends import ModelBackend, find_backend, model_backends
from vidseek.models.loader import load_model
from vidseek.scenarios.loaders import dataset_names, load_dataset
from vidseek.scenarios.records import QARecord
from vidseek.tools import registry


def _plugin(**hooks) -> types.SimpleNamespace:
    """An object whose attributes are @hookimpl functions."""
    return types.SimpleNamespace(**{name: plugins.hookimpl(fn) for name, fn in hooks.items()})


def test_builtins_of_every_kind_register_through_the_hooks(settings) -> None:
    by_plugin = {r.plugin for r in plugins.registrations("register_model_backends")}
    assert by_plugin == {"vidseek.models", "vidseek.servers", "vidseek.testing"}  # test: planner
    assert {"openai", "local", "metadata", "open_clip", "llama-server"} <= refs.BACKENDS
    assert refs.URL_BACKENDS == {
        "openai-compatible", "vllm", "llamacpp", "llama-server", "ollama", "generic"
    }  # fmt: skip
    assert refs.ALIASES["yolo"] == "ultralytics" and refs.ALIASES["llama.cpp"] == "local"
    assert list(policies()) == ["chain_of_shot", "dvd"]
    assert {r.plugin for r in plugins.registrations("register_policies")} == {"vidseek.policies"}
    assert "haystack" in dataset_names() and "lvbench" in dataset_names()
    _, sources = registry.discover(settings)
    assert {s.plugin for s in sources.values()} == {"vidseek.builtin"}


def test_every_backend_declares_its_roles_and_chat_capabilities() -> None:
    backends = model_backends()
    for backend in backends.values():
        assert backend.roles and backend.example, backend.name
        assert refs.parse_ref(backend.example).backend == backend.name
        if "planner" in backend.roles:
            assert backend.chat is not None, f"{backend.name} serves chat but declares nothing"
    assert backends["openai"].chat.sees_images and backends["openai"].chat.tool_calls
    assert not backends["local"].chat.tool_calls and backends["local"].chat.json_schema
    assert not backends["vllm"].chat.sees_images  # declared per reference: ?vision=1


def test_a_backend_that_does_not_serve_a_role_is_a_clear_error(settings) -> None:
    with pytest.raises(ConfigError, match=r"cannot be used as detector: expected one of ultra"):
        load_model("detector", "tesseract:eng", settings)
    with pytest.raises(ConfigError, match="unknown model role"):
        load_model("juggler", "tesseract:eng", settings)


class _Detector:
    def __init__(self, ref, settings) -> None:
        self.ref = str(ref)
        self.size = ref.options.get("size")


def test_a_plugin_backend_parses_and_loads_with_no_edit(settings) -> None:
    backend = ModelBackend(
        "mydet", {"detector": _Detector}, aliases=("md",), example="mydet:small?size=3"
    )
    plugin = _plugin(register_model_backends=lambda register: register(backend))
    with pytest.raises(ConfigError, match="unknown backend 'mydet'"):
        refs.parse_ref("mydet:small")
    with plugins.registered(plugin, "test-backend"):
        assert "mydet" in refs.BACKENDS and find_backend("MD").name == "mydet"
        model = load_model("detector", "md:small?size=3", settings)
        assert isinstance(model, _Detector) and model.size == "3"
        assert find_backend("mydet").plugin == "test-backend"
    assert "mydet" not in refs.BACKENDS  # gone with the block


def test_bad_backend_registrations_are_config_errors() -> None:
    dupe = ModelBackend("whisper2", {"speech": _Detector}, aliases=("whisper",))
    for backend, needle in [
        (dupe, "'whisper' is registered twice"),
        (ModelBackend("x", {"juggler": _Detector}), "unknown role"),
        ("not a backend", "not a ModelBackend"),
    ]:
        plugin = _plugin(register_model_backends=lambda register, b=backend: register(b))
        with plugins.registered(plugin, "bad"), pytest.raises(ConfigError, match=needle):
            model_backends()


class _EchoPolicy:
    name = "echo"

    def plan(self, run, state):  # pragma: no cover - only constructed here
        return {}


def test_a_plugin_policy_is_selected_by_name() -> None:
    with pytest.raises(ConfigError, match=r"unknown policy 'echo' \(known: chain_of_shot, dvd\)"):
        get_policy("echo")
    plugin = _plugin(register_policies=lambda register: register("echo", _EchoPolicy))
    with plugins.registered(plugin, "test-policy"):
        assert isinstance(get_policy("echo"), _EchoPolicy)
        clash = _plugin(register_policies=lambda register: register("dvd", _EchoPolicy))
        with plugins.registered(clash, "clash"), pytest.raises(ConfigError, match="twice"):
            get_policy("dvd")


def test_a_plugin_scenario_loader_is_found_by_name_and_alias(tmp_path) -> None:
    def load(path, video_root, **options):
        return [
            QARecord(qid=f"q{i}", dataset="lines", video_id="v", question=line)
            for i, line in enumerate(path.read_text().splitlines())
        ]

    (tmp_path / "q.txt").write_text("What is said?\nWhat is shown?\n")
    plugin = _plugin(
        register_scenario_loaders=lambda register: register("lines", load, aliases=("ln",))
    )
    with plugins.registered(plugin, "test-loader"):
        records = load_dataset("LN", tmp_path / "q.txt")
        assert [r.question for r in records] == ["What is said?", "What is shown?"]
        assert "lines" in dataset_names()
    with pytest.raises(VidseekError, match="unknown dataset"):
        load_dataset("lines", tmp_path / "q.txt")


def test_plugin_commands_join_the_cli() -> None:
    def register_commands(cli):
        @cli.command("hello")
        def hello(name: str) -> None:
            typer.echo(f"hello {name}")

    app = typer.Typer()

    @app.command("version")
    def version() -> None:
        typer.echo("0")

    with plugins.registered(_plugin(register_commands=register_commands), "test-cli"):
        plugins.add_plugin_commands(app)
    result = CliRunner().invoke(app, ["hello", "video"])
    assert result.exit_code == 0 and result.output.strip() == "hello video"


def test_disable_switch(monkeypatch) -> None:
    monkeypatch.setenv(plugins.DISABLE_ENV, "1")
    assert plugins.plugins_enabled() is False and plugins.plugins_enabled(True) is True
    monkeypatch.setenv(plugins.DISABLE_ENV, "0")
    assert plugins.plugins_enabled() is True
