"""The example package's non-tool plug-ins (a scenario loader and a command, entry-point group
``vidseek``) pip-install into the environment and run: a scenario file names the loader and the
scenario machinery reads the questions; the command joins the CLI and checks the file."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from vidseek import plugins
from vidseek.scenarios.loaders import DatasetError, load_dataset

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "vidseek-plugin-example"
DIST = "vidseek-plugin-example"

CSV = """qid,video,question,options,answer,start_s,end_s
q1,clip.mp4,What access code was announced?,3815|3851|8315|not in the video,A,41,52
q2,clip.mp4,What is written on the sign?,,EXIT B,,
q3,missing.mp4,How many people cross?,1|2|3,C,10,20
"""


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
    plugins.reset()
    yield
    pip("uninstall", "-y", DIST)
    plugins.reset()
    for name in ("vidseek_example_plugin.questions_csv", "vidseek_example_plugin"):
        sys.modules.pop(name, None)


@pytest.fixture
def questions(tmp_path) -> Path:
    (tmp_path / "clip.mp4").write_bytes(b"\0")
    path = tmp_path / "questions.csv"
    path.write_text(CSV)
    return path


@pytest.mark.slow
def test_example_loader_and_command_install_and_run(installed_example, questions, tmp_path):
    # the test suite's switch keeps entry-point plug-ins out until they are asked for
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset("questions-csv", questions)
    from vidseek.scenarios.loaders import find_loader, scenario_loaders

    loader = scenario_loaders(include_plugins=True)["questions-csv"]
    assert loader.plugin == "example-questions-csv" and loader.aliases == ("csv",)

    # a scenario file names the plug-in's dataset; the runner's selection reads it
    scenario = tmp_path / "mine.yaml"
    scenario.write_text(
        yaml.safe_dump({"name": "mine", "dataset": "csv", "annotations": str(questions)})
    )
    code = (
        "from vidseek.scenarios.scenario import load_scenario\n"
        "from vidseek.scenarios.runner import select_records\n"
        f"recs = select_records(load_scenario({str(scenario)!r}))\n"
        "print([(r.qid, r.answer, r.answer_text, r.gt_spans_s, r.video_path is not None)"
        " for r in recs])\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != plugins.DISABLE_ENV}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "[('q1', 'A', None, [(41.0, 52.0)], True), ('q2', None, 'EXIT B', [], True), "
        "('q3', 'C', None, [(10.0, 20.0)], False)]"
    )
    assert find_loader("csv") is None  # still off in this process

    # bad input: one line naming the file, the row and the problem
    bad = tmp_path / "bad.csv"
    bad.write_text("qid,video,question,options,answer\nq1,clip.mp4,Which?,a|b,E\n")
    with pytest.raises(DatasetError, match=r"bad.csv:2: answer 'E' is not one of the option"):
        loader.load(bad, None)

    # the command joins the CLI through register_commands
    app = typer.Typer()

    @app.command("version")
    def version() -> None:
        typer.echo("0")

    plugins.add_plugin_commands(app, include_plugins=True)
    result = CliRunner().invoke(app, ["questions-csv", "check", str(questions)])
    assert result.exit_code == 0, result.output
    assert "3 questions (2 multiple-choice) in questions.csv" in result.output
    assert "missing video: missing" in result.output
