"""`vidseek tools list|describe|call` without an index: listing, schemas and clear errors."""

from __future__ import annotations

import json

import pytest

from vidseek.cli import main
from vidseek.tools.registry import load_tools


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_shows_every_builtin(capsys, settings) -> None:
    code, out, _ = run(capsys, "--data-dir", str(settings.data_dir), "tools", "list")
    assert code == 0
    for name in load_tools(settings):
        assert name in out


def test_describe_prints_the_schema_the_planner_sees(capsys, settings) -> None:
    code, out, _ = run(
        capsys, "--data-dir", str(settings.data_dir), "tools", "describe", "search_speech"
    )
    assert code == 0
    spec = json.loads(out[out.index("{") :])
    assert spec == load_tools(settings)["search_speech"].openai_spec()
    assert spec["function"]["parameters"]["required"] == ["query"]


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["tools", "describe", "serch"], "unknown tool 'serch'"),
        (
            ["tools", "call", "search_speech", "nope.mp4", "--args", "{bad"],
            "--args is not valid JSON",
        ),
        (["tools", "call", "search_speech", "nope.mp4", "--args", "[1]"], "must be a JSON object"),
        (["tools", "call", "search_speech", "nope.mp4", "--args", "{}"], "nope.mp4"),
    ],
)
def test_cli_errors_are_one_line(capsys, settings, argv, needle) -> None:
    code, out, err = run(capsys, "--data-dir", str(settings.data_dir), *argv)
    assert code == 1 and needle in err and "Traceback" not in err


def test_call_json_shows_findings(capsys, indexed_demo) -> None:
    settings, video, manifest, _ = indexed_demo
    speech = next(n for n in manifest["needles"] if n["kind"] == "speech")
    args = json.dumps({"query": "access code north laboratory", "top_k": 2})
    code, out, err = run(
        capsys, "--data-dir", str(settings.data_dir), "tools", "call", "search_speech",
        str(video), "--args", args, "--json",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    first = result["findings"][0]
    assert first["kind"] == "speech" and first["source"] == "search_speech"
    assert "laboratory" in first["text"].lower() and first["saw_pixels"] is False
    assert abs(first["start_s"] - speech["start_s"]) < 1.5
    assert [(e["start_s"], e["end_s"]) for e in result["evidence"]] == [
        (round(f["start_s"], 2), round(f["end_s"], 2)) for f in result["findings"]
    ]
