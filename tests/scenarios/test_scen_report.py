"""Reports: markdown with the figures, and real PNG plots (accuracy by type, accuracy vs cost,
depth x length heatmap); the CLI commands run, report and compare end to end (answers come from
missing videos here, so no model runs; the agent end to end is in test_scen_e2e.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from scen_helpers import oracle_answer, write_haystack, write_scenario

from vidseek.cli import main
from vidseek.scenarios.report import depth_length_grid, write_report
from vidseek.scenarios.runner import run_scenario
from vidseek.scenarios.scenario import load_scenario

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def run_file(tmp_path, settings) -> Path:
    sc = load_scenario(
        write_scenario(tmp_path, write_haystack(tmp_path / "q", n=12), concurrency=3)
    )
    run_scenario(sc, settings, oracle_answer)
    return tmp_path / "run.jsonl"


def test_report_writes_markdown_summary_and_three_pngs(run_file, tmp_path):
    files = write_report(run_file, tmp_path / "out")
    assert set(files.plots) == {"accuracy by type", "accuracy vs cost", "depth x length"}
    for path in files.plots.values():
        assert path.read_bytes()[:8] == PNG
        with Image.open(path) as im:
            im.verify()
        with Image.open(path) as im:
            assert im.size[0] >= 400 and im.size[1] >= 250
            # a real plot, not a blank canvas: many distinct colours
            assert len(im.convert("RGB").getcolors(maxcolors=1 << 16) or []) > 20
    md = files.markdown.read_text()
    assert "**accuracy: 50.0%** (6/12" in md
    assert "| ocr | 6 | 6 | 100.0% |" in md and "| speech | 6 | 0 | 0.0% |" in md
    assert "evidence hit rate: 100.0%" in md
    # evidence is the gold span (4 s) shifted by 1 s: IoU = 3 / 5
    assert "mean temporal IoU: 0.600" in md and "R@0.5: 100.0%, R@0.7: 0.0%" in md
    for p in files.plots.values():
        assert f"]({p.name})" in md
    summary = json.loads(files.summary_json.read_text())
    assert summary["overall"]["accuracy"] == 0.5 and summary["grounding"][
        "mean_tiou"
    ] == pytest.approx(0.6)


def test_depth_grid_places_questions_by_needle_depth(run_file):
    from vidseek.scenarios.runs import load_run

    labels, cols, grid = depth_length_grid(load_run(run_file))
    assert cols == ["1-10 min"]  # a 600 s video
    # depths 5%..23.3% (30 + 10 i seconds of 600): 0-20% holds q00..q08 (9), 20-40% q09..q11 (3)
    assert grid[0][0] == (5, 9) and grid[1][0] == (1, 3)
    assert all(c is None for row in grid[2:] for c in row)


def test_cli_run_report_compare(tmp_path, monkeypatch, capsys):
    questions = write_haystack(tmp_path / "q", n=4, videos=2, missing=(0, 1))
    scenario = write_scenario(tmp_path, questions, name="cli", output="runs/new/run.jsonl")
    monkeypatch.chdir(tmp_path)
    data = str(tmp_path / "data")
    main(["--data-dir", data, "run", str(scenario)])
    run = tmp_path / "runs" / "new" / "run.jsonl"  # relative to the cwd; folders are made
    rows = [json.loads(line) for line in run.read_text().splitlines()]
    assert len(rows) == 4 and all(r["error_kind"] == "video_missing" for r in rows)
    out = " ".join(capsys.readouterr().out.split())
    assert "4 asked now (4 failed)" in out
    main(["report", str(run)])
    assert (run.parent / "run.report.md").is_file() and (
        run.parent / "run.depth_heatmap.png"
    ).is_file()
    main(["compare", str(run), str(run), "--out", "cmp.md"])
    text = (tmp_path / "cmp.md").read_text()
    assert "paired questions: 4" in text and "p = 1" in text


def test_cli_errors_are_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as ex:
        main(["report", str(tmp_path / "nope.jsonl")])
    assert ex.value.code == 1
    err = capsys.readouterr().err
    assert "nope.jsonl: run file not found" in err and "Traceback" not in err
