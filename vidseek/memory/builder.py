"""The index builder: the staged, resumable pipeline of design.md section 4.

probe -> one streamed decode pass feeding the frame stages (frame embeddings, shots, detections,
screen text) -> speech -> clips and scenes -> captions (per clip, checkpointed, subject registry
merged as they come) -> summaries (map-reduce) -> write (text embeddings, database).

Every stage is cached by (video_id, stage, digest): the digest covers the settings the stage reads
and the digests of its inputs, so changing one setting recomputes only the stages downstream of
it. Records live in the store's ``stages`` table, outputs in ``<videos_dir>/<video_id>/``. A
killed run resumes: finished stages are skipped, frame stages keep their per-chunk parts, and
captions their per-clip rows. The stage bodies are the pure functions of ``vidseek.memory.stages``;
this module only schedules them on one machine (a Ray Data job can map the same functions).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from vidseek.config import Settings
from vidseek.errors import ModelCallError, VidseekError
from vidseek.media.types import Frame, Shot, Span, VideoInfo
from vidseek.memory import stages as S
from vidseek.memory.artefacts import Artefacts
from vidseek.memory.store import segment_id
from vidseek.memory.subjects import SubjectRegistry
from vidseek.memory.types import Segment, TimedText
from vidseek.models.base import ClipCaption, Detection, SpeechSegment, TextLine, describe
from vidseek.progress import Progress as ProgressEvents
from vidseek.progress import ProgressSink

if TYPE_CHECKING:
    from vidseek.memory.store import SegmentStore
    from vidseek.memory.video_index import VideoIndex
    from vidseek.models.hub import ModelHub

log = logging.getLogger(__name__)

# bump a stage's version when its code changes what it produces: old caches then recompute
_VERSIONS = {
    "frames": 1,
    "shots": 1,
    "detections": 1,
    "screen_text": 1,
    "speech": 1,
    "clips": 1,
    "captions": 1,
    "summaries": 1,
    "write": 3,  # 2: partial OCR readings join their sign; 3: no vectors of empty segments
}
FRAME_STAGES = ("frames", "shots", "detections", "screen_text")
STAGE_ORDER = ("probe", *FRAME_STAGES, "speech", "clips", "captions", "summaries", "write")
# frame stages flush a checkpoint part after this many seconds of video
_PART_S = 30.0
_CAPTION_FRAMES = 8

Status = Literal["done", "cached", "skipped", "failed"]


@dataclass
class StageResult:
    """What happened to one stage in one run."""

    stage: str
    status: Status
    reason: str = ""
    seconds: float = 0.0
    items: int = 0


@dataclass
class BuildReport:
    """The outcome of indexing one video: per-stage results and wall time."""

    info: VideoInfo
    stages: list[StageResult] = field(default_factory=list)
    seconds: float = 0.0
    decode_s: float = 0.0  # time the pipeline waited for decoded frames

    def result(self, stage: str) -> StageResult | None:
        return next((r for r in self.stages if r.stage == stage), None)


# --- progress ------------------------------------------------------------------------------------
class _Bars:
    """Progress of the stages: events to a sink when given one (the CLI draws them), else rich
    bars, one per stage; a no-op when progress is off."""

    def __init__(self, enabled: bool | ProgressSink | None, scope: str = "") -> None:
        self.progress = None
        self.events = ProgressEvents(enabled, scope) if callable(enabled) else None
        if enabled and self.events is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("{task.description:<12}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> _Bars:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def add(self, stage: str, total: float | None, done: float = 0) -> None:
        if self.events is not None:
            self.events.start(stage, total, done=done)
        if self.progress is not None:
            self.tasks[stage] = self.progress.add_task(stage, total=total, completed=done)

    def advance(self, stage: str, n: float = 1) -> None:
        if self.events is not None:
            self.events.advance(stage, n)
        if self.progress is not None and stage in self.tasks:
            self.progress.advance(self.tasks[stage], n)

    def finish(self, stage: str) -> None:
        if self.events is not None:
            self.events.finish(stage)
        if self.progress is not None and stage in self.tasks:
            task = self.tasks[stage]
            total = self.progress.tasks[self._index(task)].total
            self.progress.update(task, completed=total)

    def _index(self, task_id: Any) -> int:
        assert self.progress is not None
        return next(i for i, t in enumerate(self.progress.tasks) if t.id == task_id)


# --- (de)serialisation of stage outputs ----------------------------------------------------------
def _det_to_row(d: Detection) -> list[Any]:
    return [d.time_s, d.label, d.confidence, list(d.box), d.track_id, d.frame_width, d.frame_height]


def _det_from_row(r: Sequence[Any]) -> Detection:
    return Detection(r[0], r[1], r[2], tuple(r[3]), r[4], r[5], r[6])


def _line_to_row(t: TextLine) -> list[Any]:
    return [t.time_s, t.text, t.confidence, list(t.box) if t.box else None]


def _line_from_row(r: Sequence[Any]) -> TextLine:
    return TextLine(r[0], r[1], r[2], tuple(r[3]) if r[3] else None)


def _speech_to_row(s: SpeechSegment) -> dict[str, Any]:
    return {
        "start_s": s.start_s,
        "end_s": s.end_s,
        "text": s.text,
        "words": [list(w) for w in s.words],
        "confidence": s.confidence,
    }


def _speech_from_row(r: dict[str, Any]) -> SpeechSegment:
    return SpeechSegment(
        r["start_s"],
        r["end_s"],
        r["text"],
        tuple(tuple(w) for w in r.get("words") or ()),
        r.get("confidence"),
    )


def _spans(rows: Sequence[Sequence[float]]) -> list[Span]:
    return [Span(float(a), float(b)) for a, b in rows]


def _key(t: float) -> int:
    """Frame time -> integer milliseconds (sets of sampled times, robust to float noise)."""
    return round(float(t) * 1000)


def load_prompt(name: str) -> str:
    """A prompt template shipped as package data (vidseek/prompts)."""
    return resources.files("vidseek.prompts").joinpath(name).read_text(encoding="utf-8").strip()


# --- the builder ----------------------------------------------------------------------------------
class IndexBuilder:
    """Runs the stages for one video against one store and one set of models."""

    def __init__(
        self,
        video: str | Path,
        settings: Settings,
        models: ModelHub,
        store: SegmentStore,
        progress: bool | ProgressSink | None = True,
    ) -> None:
        self.video = Path(video)
        self.settings = settings
        self.models = models
        self.store = store
        self.progress = progress
        self.digests: dict[str, str] = {}
        self.report: BuildReport | None = None

    # -- helpers -----------------------------------------------------------------------------
    def _digest(self, stage: str, **parts: Any) -> str:
        payload = json.dumps({"v": _VERSIONS[stage], **parts}, sort_keys=True, default=str)
        self.digests[stage] = self.settings.digest(stage, payload)
        return self.digests[stage]

    def _fresh(self, stage: str, *files: str) -> bool:
        return self.store.stage_done(self.info.video_id, stage, self.digests[stage]) and all(
            self.art.exists(f) for f in files
        )

    def _done(self, stage: str, detail: dict[str, Any] | None = None) -> None:
        self.store.set_stage(self.info.video_id, stage, self.digests[stage], "done", detail)

    def _add(self, result: StageResult) -> StageResult:
        assert self.report is not None
        self.report.stages.append(result)
        log.info("%s: %s %s (%.1f s)", result.stage, result.status, result.reason, result.seconds)
        return result

    # -- digests -----------------------------------------------------------------------------
    def plan(self) -> dict[str, str]:
        """The digest of every stage for the current settings (inputs chained in)."""
        st, m, ix = self.settings, self.settings.models, self.settings.index
        vid = self.info.video_id
        self._digest(
            "frames",
            video=vid,
            model=m.image_text_embedder,
            fps=ix.sample_fps,
            max_side=st.media.max_side,
        )
        self._digest(
            "shots",
            video=vid,
            fps=ix.sample_fps,
            max_side=st.media.max_side,
            threshold=st.media.shot_threshold,
            code=_source_digest("vidseek.media.shots"),
            min_len=st.media.shot_min_len_s,
            frames=self.digests["frames"] if m.image_text_embedder else None,
        )
        self._digest(
            "detections",
            video=vid,
            model=m.detector,
            fps=ix.detect_fps,
            min_conf=ix.detect_min_conf,
            max_side=st.media.max_side,
        )
        self._digest(
            "screen_text", video=vid, model=m.ocr, fps=ix.ocr_fps, max_side=self._ocr_side()
        )
        self._digest("speech", video=vid, model=m.speech, has_audio=self.info.has_audio)
        self._digest(
            "clips",
            shots=self.digests["shots"],
            clip_len=ix.clip_len_s,
            scene_min=ix.scene_min_s,
            scene_max=ix.scene_max_s,
        )
        self._digest(
            "captions",
            model=m.captioner,
            clips=self.digests["clips"],
            detections=self.digests["detections"],
            speech=self.digests["speech"],
            screen_text=self.digests["screen_text"],
            max_side=st.media.max_side,
        )
        self._digest("summaries", model=m.captioner, captions=self.digests["captions"])
        self._digest(
            "write",
            model=m.text_embedder,
            path=str(self.video.resolve()),
            **{k: self.digests[k] for k in FRAME_STAGES + ("speech", "summaries")},
        )
        return dict(self.digests)

    def _ocr_side(self) -> int:
        # text needs more pixels than the other models: read at the source size up to 1280 px
        return max(self.settings.media.max_side, min(1280, max(self.info.width, self.info.height)))

    # -- run ---------------------------------------------------------------------------------
    def run(self) -> BuildReport:
        from vidseek.media.probe import probe

        t0 = time.perf_counter()
        self.info = probe(self.video, self.settings)
        self.report = BuildReport(info=self.info)
        self.art = Artefacts(self.settings.videos_dir / self.info.video_id)
        self.store.upsert_video(self.info)
        self._add(
            StageResult("probe", "done", f"{self.info.duration_s:.1f} s", time.perf_counter() - t0)
        )
        self.plan()
        with (
            _video_lock(self.settings.videos_dir / f".{self.info.video_id}.lock"),
            _Bars(self.progress, str(self.video)) as bars,
        ):
            self.bars = bars
            self._frame_pass()
            self._speech()
            self._clips()
            self._captions()
            self._summaries()
            self._write()
        self.report.seconds = time.perf_counter() - t0
        return self.report

    # -- frame stages: one streamed decode pass feeds every stale one ------------------------
    def _frame_jobs(self) -> dict[str, dict[str, Any]]:
        """Stale frame stages -> their sampling times; fresh or switched-off stages are reported."""
        m, ix = self.settings.models, self.settings.index
        dur = self.info.duration_s
        from vidseek.media.parallel import sample_times

        wanted = {
            "frames": (m.image_text_embedder, ix.sample_fps, "models.image_text_embedder is off"),
            "shots": ("shots", ix.sample_fps, ""),
            "detections": (m.detector, ix.detect_fps, "models.detector is off"),
            "screen_text": (m.ocr, ix.ocr_fps, "models.ocr is off"),
        }
        jobs: dict[str, dict[str, Any]] = {}
        for stage, (ref, fps, off_reason) in wanted.items():
            if ref is None:
                self.art.write_json(f"{stage}.json", {"off": True})
                self._done(stage)
                self._add(StageResult(stage, "skipped", off_reason))
                continue
            if self._fresh(stage, f"{stage}.json"):
                self._add(StageResult(stage, "cached", "unchanged since the last run"))
                continue
            times = sample_times(dur, fps)
            jobs[stage] = {"times": times, "keys": {_key(t) for t in times}, "seconds": 0.0}
        return jobs

    def _load_parts(self, stage: str) -> tuple[set[int], list[Any]]:
        """Checkpoint parts of a frame stage with the current digest: covered times, payloads."""
        covered: set[int] = set()
        payloads: list[Any] = []
        folder = f"parts/{stage}-{self.digests[stage]}"
        root = self.art.path(folder)
        if not root.is_dir():
            return covered, payloads
        for meta in sorted(root.glob("*.json")):
            data = self.art.read_json(f"{folder}/{meta.name}")
            if not data:
                continue
            if stage == "frames":
                arr = self.art.read_npy(f"{folder}/{meta.stem}.npy")
                if arr is None or len(arr) != len(data["times"]):
                    continue
                payloads.append((data["times"], arr))
            else:
                payloads.append((data["times"], data["rows"]))
            covered.update(_key(t) for t in data["times"])
        return covered, payloads

    def _save_part(self, stage: str, times: list[float], payload: Any) -> None:
        if not times:
            return
        folder = f"parts/{stage}-{self.digests[stage]}"
        name = f"{_key(times[0]):012d}"
        if stage == "frames":
            self.art.write_npy(f"{folder}/{name}.npy", payload)
            self.art.write_json(f"{folder}/{name}.json", {"times": times})
        else:
            self.art.write_json(f"{folder}/{name}.json", {"times": times, "rows": payload})

    def _frame_pass(self) -> None:
        jobs = self._frame_jobs()
        if not jobs:
            return
        st = self.settings
        models: dict[str, Any] = {}
        if "frames" in jobs:
            models["frames"] = self.models.image_text_embedder
        if "detections" in jobs:
            models["detections"] = self.models.detector
        if "screen_text" in jobs:
            models["screen_text"] = self.models.ocr
        shot_detector = None
        if "shots" in jobs:
            from vidseek.media.shots import ShotDetector

            shot_detector = ShotDetector(st)
        # resume: the parts of partial runs, and the times they already cover
        done_parts: dict[str, list[Any]] = {}
        for stage in ("frames", "detections", "screen_text"):
            if stage in jobs:
                covered, parts = self._load_parts(stage)
                jobs[stage]["covered"] = covered
                done_parts[stage] = parts
        todo_keys: set[int] = set()
        for job in jobs.values():
            todo_keys |= job["keys"] - job.get("covered", set())
        all_times = sorted({t for job in jobs.values() for t in job["times"]})
        times = [t for t in all_times if _key(t) in todo_keys]
        for stage, job in jobs.items():
            self.bars.add(stage, len(job["times"]), len(job.get("covered", ())))
        buffers: dict[str, dict[str, list[Any]]] = {
            s: {"times": [], "rows": []}
            for s in ("frames", "detections", "screen_text")
            if s in jobs
        }
        part_end = {s: None for s in buffers}
        ocr_side = self._ocr_side()
        decode_side = max(st.media.max_side, ocr_side if "screen_text" in jobs else 0)
        t_wait = 0.0
        t0 = time.perf_counter()
        for frames, waited in _prefetch(self._iter_batches(times, decode_side)):
            t_wait += waited
            for stage, job in jobs.items():
                sel = [
                    f
                    for f in frames
                    if _key(_req(f)) in job["keys"] and _key(_req(f)) not in job.get("covered", ())
                ]
                if not sel:
                    continue
                t1 = time.perf_counter()
                small = _resize(sel, st.media.max_side) if stage != "screen_text" else sel
                if stage == "frames":
                    buffers[stage]["rows"].append(S.embed_frames(small, models["frames"]))
                elif stage == "shots":
                    assert shot_detector is not None
                    shot_detector.update(small)
                elif stage == "detections":
                    dets = S.detect(small, models["detections"], st.index.detect_min_conf)
                    buffers[stage]["rows"].extend(_det_to_row(d) for d in dets)
                elif stage == "screen_text":
                    lines = S.read_text(_resize(sel, ocr_side), models["screen_text"])
                    buffers[stage]["rows"].extend(_line_to_row(x) for x in lines)
                job["seconds"] += time.perf_counter() - t1
                if stage in buffers:
                    buffers[stage]["times"].extend(_req(f) for f in sel)
                    if part_end[stage] is None:
                        part_end[stage] = _req(sel[0]) + _PART_S
                    if _req(sel[-1]) >= part_end[stage]:
                        self._flush(stage, buffers, done_parts)
                        part_end[stage] = None
                self.bars.advance(stage, len(sel))
        for stage in buffers:
            self._flush(stage, buffers, done_parts)
        elapsed = time.perf_counter() - t0
        if self.report is not None:
            self.report.decode_s += t_wait
        # assemble each stage's output from its parts, then drop the parts
        for stage, job in jobs.items():
            t1 = time.perf_counter()
            if stage == "shots":
                assert shot_detector is not None
                shots = shot_detector.finish(self.info.duration_s)
                shots = self._refine(shots)
                self.art.write_json(
                    "shots.json", {"shots": [[s.start_s, s.end_s, s.transition] for s in shots]}
                )
                n = len(shots)
            else:
                n = self._assemble(stage, done_parts[stage])
            job["seconds"] += time.perf_counter() - t1
            self._done(stage, {"items": n})
            self.art.remove(f"parts/{stage}-{self.digests[stage]}")
            self.bars.finish(stage)
            self._add(StageResult(stage, "done", f"{n} items", job["seconds"], n))
        log.info("frame pass: %.1f s, %.1f s waiting for frames", elapsed, t_wait)

    def _iter_batches(self, times: list[float], max_side: int) -> Iterator[list[Frame]]:
        from vidseek.media.parallel import iter_frame_batches

        if not times:
            return iter(())
        return iter_frame_batches(
            self.video,
            times,
            self.settings,
            batch_size=self.settings.index.batch_size,
            max_side=max_side,
            info=self.info,
        )

    def _flush(
        self, stage: str, buffers: dict[str, dict[str, list[Any]]], parts: dict[str, list[Any]]
    ) -> None:
        buf = buffers[stage]
        if not buf["times"]:
            return
        if stage == "frames":
            payload: Any = np.concatenate(buf["rows"], axis=0)
        else:
            payload = list(buf["rows"])
        self._save_part(stage, list(buf["times"]), payload)
        parts[stage].append((list(buf["times"]), payload))
        buffers[stage] = {"times": [], "rows": []}

    def _assemble(self, stage: str, parts: list[Any]) -> int:
        parts = sorted(parts, key=lambda p: p[0][0] if p[0] else 0.0)
        if stage == "frames":
            times = [t for p in parts for t in p[0]]
            arr = (
                np.concatenate([p[1] for p in parts], axis=0)
                if parts
                else np.zeros((0, 0), np.float32)
            )
            self.art.write_npy("frames.npy", arr.astype(np.float32))
            self.art.write_json(
                "frames.json", {"times": times, "model": self.settings.models.image_text_embedder}
            )
            return len(times)
        rows = sorted((r for p in parts for r in p[1]), key=lambda r: r[0])
        self.art.write_json(f"{stage}.json", {"rows": rows})
        return len(rows)

    def _refine(self, shots: list[Shot]) -> list[Shot]:
        emb = self.art.read_npy("frames.npy")
        meta = self.art.read_json("frames.json", {}) or {}
        if emb is None or not meta.get("times") or len(emb) != len(meta["times"]):
            return shots
        try:
            from vidseek.media.shots import refine_shots
        except ImportError:
            return shots
        return refine_shots(shots, meta["times"], emb)

    # -- loaders of stage outputs ------------------------------------------------------------
    def detections(self) -> list[Detection]:
        data = self.art.read_json("detections.json", {}) or {}
        return [_det_from_row(r) for r in data.get("rows", [])]

    def text_lines(self) -> list[TextLine]:
        data = self.art.read_json("screen_text.json", {}) or {}
        return [_line_from_row(r) for r in data.get("rows", [])]

    def speech_segments(self) -> list[SpeechSegment]:
        data = self.art.read_json("speech.json", {}) or {}
        return [_speech_from_row(r) for r in data.get("segments", [])]

    def shots(self) -> list[Shot]:
        data = self.art.read_json("shots.json", {}) or {}
        return [Shot(a, b, i, tr) for i, (a, b, tr) in enumerate(data.get("shots", []))]

    # -- speech ------------------------------------------------------------------------------
    def _speech(self) -> None:
        stage = "speech"
        if self._fresh(stage, "speech.json"):
            self._add(StageResult(stage, "cached", "unchanged since the last run"))
            return
        reason = ""
        if not self.info.has_audio:
            reason = "the video has no audio track"
        elif self.settings.models.speech is None:
            reason = "models.speech is off"
        if reason:
            self.art.write_json("speech.json", {"segments": [], "skipped": reason})
            self._done(stage, {"skipped": reason})
            self._add(StageResult(stage, "skipped", reason))
            return
        from vidseek.media.ffmpeg import extract_audio

        t0 = time.perf_counter()
        self.bars.add(stage, 1)
        recognizer = self.models.speech
        wav = extract_audio(self.video, self.art.path("audio.wav"))
        segments: list[SpeechSegment] = []
        if wav is not None and recognizer is not None:
            segments = S.transcribe(str(wav), recognizer)
        self.art.write_json(
            "speech.json",
            {"segments": [_speech_to_row(s) for s in segments], "model": describe(recognizer)},
        )
        self.art.remove("audio.wav")
        self._done(stage, {"items": len(segments)})
        self.bars.finish(stage)
        self._add(
            StageResult(
                stage, "done", f"{len(segments)} segments", time.perf_counter() - t0, len(segments)
            )
        )

    # -- clips and scenes --------------------------------------------------------------------
    def _clips(self) -> None:
        stage = "clips"
        if self._fresh(stage, "clips.json"):
            self._add(StageResult(stage, "cached", "unchanged since the last run"))
            return
        t0 = time.perf_counter()
        ix = self.settings.index
        shots = self.shots()
        dur = self.info.duration_s
        clips = S.make_clips(shots, dur, ix.clip_len_s)
        cuts = [s.start_s for s in shots]
        scenes = S.make_scenes(clips, ix.scene_min_s, ix.scene_max_s, dur, cuts_s=cuts)
        self.art.write_json(
            "clips.json",
            {
                "clips": [[c.start_s, c.end_s] for c in clips],
                "scenes": [[s.start_s, s.end_s] for s in scenes],
            },
        )
        self._done(stage, {"clips": len(clips), "scenes": len(scenes)})
        self._add(
            StageResult(
                stage,
                "done",
                f"{len(clips)} clips, {len(scenes)} scenes",
                time.perf_counter() - t0,
                len(clips),
            )
        )

    def clip_spans(self) -> tuple[list[Span], list[Span]]:
        data = self.art.read_json("clips.json", {}) or {}
        return _spans(data.get("clips", [])), _spans(data.get("scenes", []))

    # -- captions ----------------------------------------------------------------------------
    def _caption_rows(self, clips: list[Span]) -> tuple[dict[int, ClipCaption], SubjectRegistry]:
        """Finished captions of this digest (per-clip checkpoint) and the registry replayed
        from them in the order they were made."""
        digest = self.digests["captions"]
        registry = SubjectRegistry(self.info.video_id)
        done: dict[int, ClipCaption] = {}
        for row in self.art.read_jsonl("captions.jsonl"):
            i = row.get("index", -1)
            if row.get("digest") != digest or not 0 <= i < len(clips) or i in done:
                continue
            if [round(clips[i].start_s, 3), round(clips[i].end_s, 3)] != row.get("span"):
                continue
            caption = ClipCaption(**row["caption"])
            caption.subjects = list(row.get("raw_subjects", caption.subjects))
            done[i] = registry.canonicalize(caption, clips[i].start_s, clips[i].end_s)
        return done, registry

    def _captions(self) -> None:
        stage = "captions"
        clips, _ = self.clip_spans()
        if self._fresh(stage, "captions.json"):
            self._add(StageResult(stage, "cached", "unchanged since the last run"))
            return
        t0 = time.perf_counter()
        done, registry = self._caption_rows(clips)
        todo = [i for i in range(len(clips)) if i not in done]
        captioner = self.models.captioner
        speech = self.speech_segments()
        lines = self.text_lines()
        dets = self.detections()
        det_times = sorted({d.time_s for d in dets})
        if not det_times and self.settings.models.detector is not None:
            from vidseek.media.parallel import sample_times

            det_times = sample_times(self.info.duration_s, self.settings.index.detect_fps)
        self.bars.add(stage, len(clips), len(done))
        if done:
            log.info("captions: %d of %d clips already done, resuming", len(done), len(clips))

        def context_for(i: int):
            return S.clip_context(clips[i], speech, lines, dets, det_times, registry.names())

        frames_for = None
        if getattr(captioner, "can_see", False):
            source = self._frame_source()

            def frames_for(i: int) -> list[np.ndarray]:
                c = clips[i]
                n = max(1, min(_CAPTION_FRAMES, round(c.duration_s)))
                ts = [c.start_s + (k + 0.5) * c.duration_s / n for k in range(n)]
                return [
                    f.image for f in source.frames_at(ts, max_side=self.settings.media.max_side)
                ]

        digest = self.digests["captions"]

        def on_caption(i: int, caption: ClipCaption) -> None:
            raw = list(caption.subjects)
            registry.canonicalize(caption, clips[i].start_s, clips[i].end_s)
            self.art.append_jsonl(
                "captions.jsonl",
                {
                    "digest": digest,
                    "index": i,
                    "span": [round(clips[i].start_s, 3), round(clips[i].end_s, 3)],
                    "raw_subjects": raw,
                    "caption": asdict(caption),
                },
            )
            done[i] = caption
            self.bars.advance(stage)

        try:
            run = S.caption_clips(
                clips,
                todo,
                captioner,
                context_for,
                frames_for,
                on_caption,
                concurrency=self.settings.index.caption_concurrency,
                retries=self.settings.models.max_retries if _is_remote(captioner) else 0,
            )
        finally:
            if frames_for is not None:
                source.close()
        if run.failures:
            first = run.failures[0]
            self.store.set_stage(
                self.info.video_id,
                stage,
                digest,
                "failed",
                {"done": len(done), "total": len(clips)},
            )
            self._add(
                StageResult(stage, "failed", str(first.error), time.perf_counter() - t0, len(done))
            )
            raise ModelCallError(
                f"{self.video}: captioning stopped with {len(done)} of {len(clips)} clips done "
                f"(kept; run `vidseek index` again to finish the rest): {first.error}"
            )
        self.art.write_json(
            "captions.json",
            {
                "captions": [asdict(done[i]) for i in range(len(clips))],
                "subjects": registry.to_list(),
                "model": describe(captioner),
            },
        )
        self._done(stage, {"items": len(clips), "subjects": len(registry)})
        self.bars.finish(stage)
        self._add(
            StageResult(
                stage,
                "done",
                f"{len(todo)} captioned, {len(clips) - len(todo)} resumed",
                time.perf_counter() - t0,
                len(todo),
            )
        )

    def _frame_source(self):
        from vidseek.media.frames import open_frame_source

        return open_frame_source(self.video, self.settings, info=self.info)

    def captions(self) -> tuple[list[ClipCaption], list[dict[str, Any]]]:
        data = self.art.read_json("captions.json", {}) or {}
        return [ClipCaption(**c) for c in data.get("captions", [])], data.get("subjects", [])

    # -- summaries ---------------------------------------------------------------------------
    def _summaries(self) -> None:
        stage = "summaries"
        if self._fresh(stage, "summaries.json"):
            self._add(StageResult(stage, "cached", "unchanged since the last run"))
            return
        t0 = time.perf_counter()
        clips, scenes = self.clip_spans()
        captions, _ = self.captions()
        summarizer = self.models.captioner
        texts = [c.to_text() for c in captions]
        self.bars.add(stage, len(scenes) + 1)
        scene_texts = []
        parents = S.assign_parents(clips, scenes) if scenes else []
        instruction = load_prompt("summarize_scene.md")
        for s in range(len(scenes)):
            members = [texts[i] for i, p in enumerate(parents) if p == s]
            scene_texts.append(S.summarize_texts(members, summarizer, instruction))
            self.bars.advance(stage)
        video_text = S.summarize_video(scene_texts, summarizer, load_prompt("summarize_video.md"))
        self.bars.advance(stage)
        self.art.write_json(
            "summaries.json",
            {"scenes": scene_texts, "video": video_text, "model": describe(summarizer)},
        )
        self._done(stage, {"scenes": len(scenes)})
        self._add(
            StageResult(
                stage,
                "done",
                f"{len(scenes)} scenes + video",
                time.perf_counter() - t0,
                len(scenes) + 1,
            )
        )

    # -- write -------------------------------------------------------------------------------
    def segments(self) -> list[Segment]:
        """Every segment of the video (clip, shot, scene, video) from the stage outputs."""
        vid = self.info.video_id
        clips, scenes = self.clip_spans()
        captions, _ = self.captions()
        summaries = self.art.read_json("summaries.json", {}) or {}
        shots = self.shots() or [Shot(0.0, self.info.duration_s, 0, "start")]
        shot_spans = [Span(s.start_s, s.end_s) for s in shots]
        cap_ref = self.settings.models.captioner
        video_seg = Segment(
            id=segment_id(vid, "video", 0),
            video_id=vid,
            granularity="video",
            start_s=0.0,
            end_s=self.info.duration_s,
            text=summaries.get("video", ""),
            fields={"path": str(self.video), "scenes": len(scenes)},
            models={"summarizer": cap_ref},
        )
        out = [video_seg]
        for i, sc in enumerate(scenes):
            out.append(
                Segment(
                    id=segment_id(vid, "scene", i),
                    video_id=vid,
                    granularity="scene",
                    start_s=sc.start_s,
                    end_s=sc.end_s,
                    index=i,
                    parent_id=video_seg.id,
                    text=(summaries.get("scenes") or [""] * len(scenes))[i],
                    models={"summarizer": cap_ref},
                )
            )
        clip_parent = S.assign_parents(clips, scenes) if scenes else [None] * len(clips)
        for i, (c, cap) in enumerate(zip(clips, captions, strict=True)):
            p = clip_parent[i]
            fields = asdict(cap)
            fields.pop("model", None)
            out.append(
                Segment(
                    id=segment_id(vid, "clip", i),
                    video_id=vid,
                    granularity="clip",
                    start_s=c.start_s,
                    end_s=c.end_s,
                    index=i,
                    parent_id=None if p is None else segment_id(vid, "scene", p),
                    text=cap.to_text(),
                    fields=fields,
                    models={
                        "captioner": cap.model or cap_ref,
                        **{
                            r: ref
                            for r in ("detector", "speech", "ocr")
                            if (ref := getattr(self.settings.models, r))
                        },
                    },
                )
            )
        shot_parent = S.assign_parents(shot_spans, scenes) if scenes else [None] * len(shots)
        for i, sh in enumerate(shots):
            inner = [
                captions[k].description
                for k, c in enumerate(clips)
                if sh.start_s <= (c.start_s + c.end_s) / 2 < sh.end_s
            ]
            p = shot_parent[i]
            out.append(
                Segment(
                    id=segment_id(vid, "shot", i),
                    video_id=vid,
                    granularity="shot",
                    start_s=sh.start_s,
                    end_s=sh.end_s,
                    index=i,
                    parent_id=None if p is None else segment_id(vid, "scene", p),
                    text="\n".join(inner),
                    fields={"transition": sh.transition},
                )
            )
        return out

    def timed_text(self) -> list[TimedText]:
        from vidseek.memory.store import timed_text_id

        vid = self.info.video_id
        rows = [
            TimedText(
                timed_text_id(vid, "speech", s.start_s, i),
                vid,
                s.start_s,
                s.end_s,
                s.text.strip(),
                "speech",
                s.confidence or 0.0,
            )
            for i, s in enumerate(self.speech_segments())
        ]
        step = 1.0 / max(self.settings.index.ocr_fps, 1e-6)
        spans = S.merge_text_lines(self.text_lines(), step)
        rows += [
            TimedText(
                timed_text_id(vid, "screen_text", t.start_s, i),
                vid,
                t.start_s,
                t.end_s,
                t.text,
                "screen_text",
                t.confidence,
            )
            for i, t in enumerate(spans)
        ]
        return rows

    def _write(self) -> None:
        stage = "write"
        if self._fresh(stage):
            self._add(StageResult(stage, "cached", "unchanged since the last run"))
            self.store.mark_indexed(self.info.video_id, self._model_refs())
            return
        t0 = time.perf_counter()
        vid = self.info.video_id
        store = self.store
        segments = self.segments()
        texts = self.timed_text()
        embedder = self.models.text_embedder
        ref = self.settings.models.text_embedder
        self.bars.add(stage, 5)
        store.set_stage(vid, stage, self.digests[stage], "running")
        store.upsert_video(self.info, models=self._model_refs(), digests=dict(self.digests))
        with_text = [s for s in segments if s.text.strip()]
        seg_vecs = S.embed_texts([s.text for s in with_text], embedder)
        self.bars.advance(stage)
        txt_vecs = S.embed_texts([t.text for t in texts], embedder)
        self.bars.advance(stage)
        # stale items of an earlier run with other settings (more clips, other OCR lines) go
        # first; so do the vectors of segments that have no text now (they are written again)
        _prune(
            store,
            vid,
            {s.id for s in with_text},
            {t.id for t in texts},
            frames=self.settings.models.image_text_embedder is not None,
        )
        store.upsert_segments(segments)
        store.upsert_segment_vectors(with_text, seg_vecs, ref)
        store.upsert_timed_text(texts)
        store.upsert_timed_text_vectors(texts, txt_vecs, ref)
        self.bars.advance(stage)
        dets = self.detections()
        _replace_detections(store, vid, dets)
        self.bars.advance(stage)
        emb = self.art.read_npy("frames.npy")
        meta = self.art.read_json("frames.json", {}) or {}
        if emb is not None and meta.get("times") and len(emb) == len(meta["times"]):
            store.upsert_frame_vectors(vid, meta["times"], emb, meta.get("model") or "")
        _, subjects = self.captions()
        store.upsert_subjects(vid, subjects)
        self.bars.advance(stage)
        self._done(stage, {"segments": len(segments), "timed_text": len(texts)})
        store.mark_indexed(vid, self._model_refs())
        self._add(
            StageResult(
                stage,
                "done",
                f"{len(segments)} segments, {len(texts)} texts, {len(dets)} detections",
                time.perf_counter() - t0,
                len(segments),
            )
        )

    def _model_refs(self) -> dict[str, str]:
        m = self.settings.models
        roles = ("text_embedder", "image_text_embedder", "detector", "speech", "ocr", "captioner")
        return {r: getattr(m, r) for r in roles if getattr(m, r)}


def _prune(
    store: SegmentStore, video_id: str, segment_ids: set[str], text_ids: set[str], frames: bool
) -> None:
    """Delete rows and vectors of ``video_id`` that the new run does not produce again (or
    produces without a vector: those rows are upserted again right after)."""
    stale_segments = [s.id for s in store.get_segments(video_id) if s.id not in segment_ids]
    stale_texts = [
        t.id
        for kind in ("speech", "screen_text")
        for t in store.timed_text(video_id, kind)
        if t.id not in text_ids
    ]
    spaces: list[Any] = [] if frames else ["frames"]
    store.delete_items(
        video_id, segment_ids=stale_segments, timed_text_ids=stale_texts, spaces=spaces
    )


def _replace_detections(store: SegmentStore, video_id: str, dets: list[Detection]) -> None:
    store.delete_items(video_id, detections=True)
    store.upsert_detections(video_id, dets)


def _is_remote(model: Any) -> bool:
    ref = describe(model)
    return ref.startswith(("openai", "http"))


def _req(frame: Frame) -> float:
    return frame.requested_s if frame.requested_s is not None else frame.time_s


def _resize(frames: list[Frame], max_side: int) -> list[Frame]:
    """Frames no larger than ``max_side`` (OCR reads bigger frames than the other models)."""
    out = []
    for f in frames:
        h, w = f.image.shape[:2]
        if max(h, w) <= max_side:
            out.append(f)
            continue
        from PIL import Image

        scale = max_side / max(h, w)
        img = Image.fromarray(f.image).resize(
            (max(1, round(w * scale)), max(1, round(h * scale))), Image.BILINEAR
        )
        out.append(Frame(f.time_s, np.asarray(img), f.requested_s))
    return out


def _source_digest(module: str) -> str:
    """Hash of a module's source: a stage made by code that changed (the shot detector, say)
    is recomputed even when no setting changed."""
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return ""
    return hashlib.sha256(Path(spec.origin).read_bytes()).hexdigest()[:12]


@contextmanager
def _video_lock(path: Path) -> Iterator[None]:
    """One builder per video and data dir at a time (two processes indexing the same video would
    both write it); the OS drops the lock of a killed process."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("%s: another process is indexing this video; waiting for it", path)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _prefetch(
    batches: Iterator[list[Frame]], depth: int = 3
) -> Iterator[tuple[list[Frame], float]]:
    """Decode ahead in a thread while the models work on the previous batch; yields each batch
    and how long the consumer waited for it."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def worker() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        q.put(batch, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)

    thread = threading.Thread(target=worker, name="vidseek-decode", daemon=True)
    thread.start()
    try:
        while True:
            t0 = time.perf_counter()
            item = q.get()
            waited = time.perf_counter() - t0
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item, waited
    finally:
        stop.set()
        thread.join(timeout=5)


# --- public API ----------------------------------------------------------------------------------
def build(
    video: str | Path,
    settings: Settings,
    models: ModelHub | None = None,
    progress: bool | ProgressSink | None = True,
    store: SegmentStore | None = None,
) -> BuildReport:
    """Index one video (or finish / update its index) and report what each stage did."""
    from vidseek.memory.store import SegmentStore
    from vidseek.models.hub import ModelHub

    hub = models or ModelHub(settings)
    own = store is None
    db = store or SegmentStore(settings)
    try:
        return IndexBuilder(video, settings, hub, db, progress).run()
    finally:
        if own:
            db.close()


def index(
    video: str | Path,
    settings: Settings | None = None,
    models: ModelHub | None = None,
    progress: bool | ProgressSink | None = True,
) -> VideoIndex:
    """Index a video (resuming any earlier run) and open it for search."""
    from vidseek.config import load_settings
    from vidseek.memory.video_index import VideoIndex
    from vidseek.models.hub import ModelHub

    settings = settings or load_settings()
    hub = models or ModelHub(settings)
    build(video, settings, hub, progress)
    return VideoIndex.open(settings, video, hub)


def index_many(
    videos: Sequence[str | Path],
    settings: Settings | None = None,
    models: ModelHub | None = None,
    progress: bool | ProgressSink | None = True,
    on_report: Callable[[BuildReport], None] | None = None,
) -> list[BuildReport]:
    """Index several videos one after the other with shared models; a video that fails with a
    vidseek error is reported and the others still run. One video's error is raised as it is;
    with several videos each failure is logged once and a summary error is raised at the end."""
    from vidseek.config import load_settings
    from vidseek.memory.store import SegmentStore
    from vidseek.models.hub import ModelHub

    settings = settings or load_settings()
    hub = models or ModelHub(settings)
    store = SegmentStore(settings)
    reports: list[BuildReport] = []
    errors: list[VidseekError] = []
    try:
        for video in videos:
            try:
                report = build(video, settings, hub, progress, store=store)
            except VidseekError as exc:
                if len(videos) > 1:  # a single video's error is raised below, printed once
                    log.error("%s", exc)
                errors.append(exc)
                continue
            reports.append(report)
            if on_report is not None:
                on_report(report)
    finally:
        store.close()
    if len(videos) == 1 and errors:
        raise errors[0]
    if errors:
        raise VidseekError(
            f"{len(errors)} of {len(videos)} videos could not be indexed (see above)"
        )
    return reports
