"""The example plug-in package installs into the environment, registers through its entry point and
runs through `vidseek tools call` on the real indexed demo; the tutorial's code works as written."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vidseek.tools.base import Budget, ToolContext
from vidseek.tools.registry import discover, load_tools

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "vidseek-plugin-example"
DIST = "vidseek-plugin-example"


def pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory):
    """pip-install a copy of the example (so the repo stays clean), uninstall afterwards."""
    src = tmp_path_factory.mktemp("plugin") / "src"
    shutil.copytree(EXAMPLE, src)
    proc = pip("install", "--no-deps", "--no-build-isolation", "--no-index", str(src))
    assert proc.returncode == 0, proc.stderr
    importlib.invalidate_caches()
    yield
    pip("uninstall", "-y", DIST)
    sys.modules.pop("vidseek_example_plugin", None)


def cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "VIDSEEK_DISABLE_PLUGINS": "1"}  # only --plugins may load them
    cmd = [sys.executable, "-m", "vidseek.cli", "--data-dir", str(settings.data_dir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)


@pytest.mark.slow
def test_example_plugin_installs_registers_and_runs(installed_example, indexed_demo) -> None:
    settings, video, manifest, index = indexed_demo
    # found through the entry point, only when asked
    tools, sources = discover(settings, include_plugins=True)
    assert sources["scene_colour"].plugin == "example" and sources["loudness"].plugin == "example"
    assert "scene_colour" not in load_tools(settings)  # the test suite's switch keeps it out

    listed = cli(settings, "tools", "list", "--plugins")
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"scene_colour\s+│\s+example", listed.stdout) and "loudness" in listed.stdout
    assert "scene_colour" not in cli(settings, "tools", "list").stdout

    described = cli(settings, "tools", "describe", "scene_colour", "--plugins")
    assert described.returncode == 0, described.stderr
    schema = json.loads(described.stdout[described.stdout.index("{") :])
    params = schema["function"]["parameters"]
    assert params["required"] == ["time_s"] and params["properties"]["colours"]["maximum"] == 8
    assert schema["function"]["description"].startswith("Dominant colours of the frame")

    called = cli(settings, "tools", "call", "scene_colour", str(video), "--plugins", "--json",
                 "--args", json.dumps({"time_s": 20.0, "colours": 3}))  # fmt: skip
    assert called.returncode == 0, called.stderr
    result = json.loads(called.stdout)
    colours = result["data"]["colours"]
    from vidseek_example_plugin import dominant_colours

    frame = index.frame_source().frames_at([20.0], max_side=256)[0]
    expected = dominant_colours(frame.image, 3)
    assert [c["rgb"] for c in colours] == [list(rgb) for rgb, _ in expected]
    assert 0 < sum(c["share"] for c in colours) <= 1.0 + 1e-6

    speech = next(n for n in manifest["needles"] if n["kind"] == "speech")
    span = [max(0.0, speech["start_s"] - 15), speech["end_s"] + 15]
    loud = cli(settings, "tools", "call", "loudness", str(video), "--plugins", "--json",
               "--args", json.dumps({"time_range": span}))  # fmt: skip
    assert loud.returncode == 0, loud.stderr
    data = json.loads(loud.stdout)["data"]
    assert speech["start_s"] - 1 <= data["loudest_at_s"] <= speech["end_s"]  # the announcement

    bad = cli(settings, "tools", "call", "loudness", str(video), "--plugins",
              "--args", json.dumps({"time_range": [50, 40]}))  # fmt: skip
    assert bad.returncode == 1 and "ERROR: loudness" in bad.stdout and "reversed" in bad.stdout


def test_tutorial_code_runs_on_the_real_index(indexed_demo, tmp_path) -> None:
    """The first code block of docs/plugins.md, executed as written."""
    settings, _, manifest, index = indexed_demo
    text = (REPO / "docs" / "plugins.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    ns: dict = {"__name__": "tutorial_plugin"}
    exec(compile(code, "docs/plugins.md", "exec"), ns)
    speech_rate = ns["speech_rate"]
    speech = next(n for n in manifest["needles"] if n["kind"] == "speech")
    ctx = ToolContext(settings, index.info, index, index.models, Budget(), str(tmp_path))
    ok = speech_rate().invoke({"time_range": [speech["start_s"] - 1, speech["end_s"] + 1]}, ctx)
    assert not ok.is_error and ok.data["words"] >= 8 and ok.data["rate"] > 60, ok.text
    bad = speech_rate().invoke({"time_range": [60, 0]}, ctx)
    assert bad.is_error and "reversed" in bad.text
