"""Loaders on the real annotation files (read in place from ../shared, never copied) with the exact
counts, and on small fixtures in the schemas of the benchmarks that cannot be redistributed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from vidseek.errors import VidseekError
from vidseek.scenarios.answers import is_correct
from vidseek.scenarios.loaders import DatasetError, dataset_names, load_dataset

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def bench(shared_dir: Path) -> Path:
    path = shared_dir / "benchmarks"
    if not path.is_dir():
        pytest.skip("../shared/benchmarks is not present")
    return path


def _check_mc(records):
    for r in records:
        if r.answer is not None:
            assert r.answer in "ABCDEFGHIJ"[: len(r.options)]
            assert r.answer_text.lower() == r.options[ord(r.answer) - 65].lower()
        for a, b in r.gt_spans_s:
            assert 0 <= a <= b


def test_lvbench_counts_and_time_reference_quirks(bench, tmp_path):
    records = load_dataset("lvbench", bench / "lvbench", tmp_path)
    assert len(records) == 1549
    assert len({r.video_id for r in records}) == 103
    _check_mc(records)
    assert all(len(r.options) == 4 and r.answer for r in records)
    by_ref = {r.extra["time_reference"]: r for r in records}
    assert by_ref["101:21-101:21"].gt_spans_s == [(6081.0, 6081.0)]  # minutes above 99
    assert by_ref["110:35-110:44"].gt_spans_s == [(6635.0, 6644.0)]
    assert by_ref["None-None"].gt_spans_s == []  # no reference at all
    assert by_ref["08:17-None"].gt_spans_s == [(497.0, 497.0)]  # a point: only the start
    assert by_ref["33:52-33:46"].gt_spans_s == [(2026.0, 2032.0)]  # reversed in the file
    q = records[0]
    assert q.qid == "55" and q.question == "What year appears in the opening caption of the video?"
    assert q.options == ["1636", "1366", "1363", "1633"] and q.answer == "D"
    assert q.duration_s == pytest.approx(61.09166666666667 * 60)
    assert q.video_path == tmp_path / "Cm73ma6Ibcs.mp4"
    types = Counter(t for r in records for t in r.task_types)
    assert types["entity recognition"] == 677 and types["summarization"] == 58


def test_longvideobench_val(bench):
    records = load_dataset("longvideobench", bench / "longvideobench" / "lvb_val.json")
    assert len(records) == 1337
    _check_mc(records)
    first = records[0]
    assert first.qid == "86CxyhFV9MI_0" and first.answer == "B"  # correct_choice 1 (an index)
    assert first.gt_frames == [854, 948, 1373]
    assert first.task_types == ["TOS"] and first.duration_s == pytest.approx(190.16)
    assert first.video_path is None  # no video root given


def test_mlvu_multiple_choice_and_open_ended(bench):
    records = load_dataset("mlvu", bench / "mlvu")
    mc = [r for r in records if r.options]
    assert len(mc) == 2175
    assert len(records) - len(mc) == 418
    _check_mc(mc)
    count_q = next(r for r in mc if r.qid == "4_count_0")
    assert count_q.options == ["2", "1", "5", "4"] and count_q.answer == "B"  # answer text "1"
    # two needle answers are not among their candidates, one topic item has empty options
    unmatched = [r.qid for r in mc if r.answer is None]
    assert unmatched == ["2_needle_34", "2_needle_338", "7_topic_reasoning_26"]
    # duplicated options: the answer is the first copy, and either copy grades as right
    dup = next(r for r in mc if r.qid == "1_plotQA_335")
    assert dup.options == ["Six", "Three", "Three", "Eight"] and dup.answer == "B"
    assert is_correct(dup.answer, dup.options, {"choice": "C"}) is True
    assert is_correct(dup.answer, dup.options, {"choice": "A"}) is False
    summary = next(r for r in records if r.qid == "9_summary_0")
    assert summary.answer is None and summary.answer_text.startswith("The video starts")
    assert len(load_dataset("mlvu", bench / "mlvu", open_ended=False)) == 2175


def test_qvhighlights_val(bench):
    records = load_dataset("qvhighlights", bench / "qvhighlights")
    # the README says 1549 (the line count): the file holds 1550 queries, its last line has no
    # trailing newline; every one is a distinct qid with relevant windows
    assert len(records) == 1550
    assert all(r.gt_spans_s and not r.options for r in records)
    first = records[0]
    assert first.qid == "2579" and first.video_id == "NUsG9BgSes0_210.0_360.0"
    assert first.duration_s == 150.0


def test_nextqa_val(bench):
    records = load_dataset("nextqa", bench / "nextqa" / "val.csv", "/videos")
    assert len(records) == 4996
    _check_mc(records)
    first = records[0]
    assert first.answer == "A" and first.options[0] == "roll the handle"
    assert first.task_types == ["causal how"]
    assert first.video_path is not None and first.video_path.parent.name.isdigit()


def test_activitynetqa_test(bench):
    records = load_dataset("activitynetqa", bench / "activitynetqa")
    assert len(records) == 8000
    assert records[0].answer_text == "no" and records[0].task_types == ["yes/no"]


def test_egoschema_answers_and_fixture_questions(bench):
    from vidseek.scenarios.loaders.egoschema import load_answers

    answers = load_answers(bench / "egoschema")
    assert len(answers) == 500
    records = load_dataset(
        "egoschema", FIXTURES / "egoschema", answers=bench / "egoschema" / "subset_answers.json"
    )
    assert [r.qid for r in records] == [
        "0074f737-11cb-497d-8d07-77c3a8127391",
        "00b9a0de-c59e-49cb-a127-6081e2fb8c8e",
    ]
    assert [r.answer for r in records] == ["D", "E"]
    assert records[0].extra == {
        "video_uid": "6ab72273-4324-4cec-aad4-1a644b57356b",
        "starting_sec": 1560,
        "ending_sec": 1740,
    }


def test_egoschema_fixture_alone():
    records = load_dataset("egoschema", FIXTURES / "egoschema", "/ego")
    assert [r.answer for r in records] == ["D", "E"]  # the third question has no public answer
    assert records[1].answer_text == "A screwdriver."
    everything = load_dataset("egoschema", FIXTURES / "egoschema", subset_only=False)
    assert len(everything) == 3 and everything[2].answer is None


def test_videomme_fixture():
    records = load_dataset("video-mme", FIXTURES / "videomme", "/vm")
    assert [r.qid for r in records] == ["001-1", "001-2", "302-3"]
    assert records[0].options == ["One.", "Two.", "Three.", "Four."] and records[0].answer == "C"
    assert records[2].extra["duration_group"] == "long"
    assert records[1].video_path == Path("/vm/vidseekfix1.mp4")


def test_lvhaystack_fixture_frames_become_spans():
    records = load_dataset("lvhaystack", FIXTURES / "lvhaystack")
    first, second = records
    assert first.answer == "B" and first.options == ["Red", "Blue", "Black", "White"]
    assert first.gt_frames == [300, 315, 900]
    # frames 300 and 315 at 30 fps are 0.5 s apart: one span; frame 900 is its own
    assert first.gt_spans_s == [(10.0, 10.533), (30.0, 30.033)]
    assert second.gt_spans_s == [(2.0, 2.04)] and second.duration_s == 600.0


def test_charades_sta_fixture():
    records = load_dataset("charades_sta", FIXTURES / "charades_sta" / "charades_sta_test.txt")
    assert len(records) == 3
    assert (
        records[0].gt_spans_s == [(24.3, 30.4)] and records[0].question == "person turn a light on."
    )
    assert len({r.qid for r in records}) == 3


def test_dev10_haystack(shared_dir):
    path = shared_dir / "eval" / "dev10"
    if not path.is_dir():
        pytest.skip("../shared/eval/dev10 is not present")
    records = load_dataset("haystack", path / "questions.jsonl")
    assert len(records) == 22
    assert all(len(r.options) == 4 and r.answer in "ABCD" for r in records)
    q1 = records[0]
    assert q1.video_path == path / "haystack.mp4" and q1.video_path.is_file()
    assert q1.gt_spans_s == [(132.08, 136.9)] and q1.answer == "D" and q1.duration_s == 600.0
    assert q1.extra["needle_kind"] == "speech" and q1.extra["depth_pct"] == 22.4
    absent = [r for r in records if r.extra["needle_kind"] == "absent"]
    assert len(absent) == 3 and all(not r.gt_spans_s for r in absent)


def test_missing_video_is_a_path_not_an_error(tmp_path):
    records = load_dataset("videomme", FIXTURES / "videomme", tmp_path)
    assert records[0].video_path == tmp_path / "vidseekfix1.mp4"
    assert not records[0].video_path.exists()


def test_bad_input_gives_one_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset("nope", tmp_path)
    with pytest.raises(DatasetError, match="annotation file not found"):
        load_dataset("lvbench", tmp_path / "missing.jsonl")
    bad = tmp_path / "video_info.meta.jsonl"
    bad.write_text('{"key": "x", "qa": []}\n{"key": \n')
    with pytest.raises(VidseekError, match=r"video_info.meta.jsonl: line 2 is not valid JSON"):
        load_dataset("lvbench", bad)
    bad.write_text(
        '{"key": "x", "qa": [{"uid": "1", "question": "Q?\\n(A) a\\n(B) b", "answer": "E"}]}\n'
    )
    with pytest.raises(DatasetError, match="answer 'E' names no option"):
        load_dataset("lvbench", bad)
    assert "lvbench" in dataset_names() and "haystack" in dataset_names()
