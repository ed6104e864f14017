"""The local engine: runs the stages of one video after the other in this process.

For every stage the engine decides, from the stage cache, whether it is off (``skipped``), done
with the current digest (``cached``) or must run; it times the run, records it, reports progress
and adds a ``StageResult``. The stage bodies (``frame_stages``, ``speech``, ``summaries``,
``captions``, ``write``) know nothing of this. The frame stages share one decode pass
(``frame_pass``, its units in threads of their own with ``index.concurrent_stages``), and speech,
which needs no frames, runs beside it in a thread (``beside``) until a stage needs its output;
an engine that runs the frame stages elsewhere overrides ``open_frame_pass`` only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vidseek.config import Settings
from vidseek.errors import VideoError, VidseekError
from vidseek.memory.artefacts import Artefacts
from vidseek.memory.diskspace import check_room_to_index
from vidseek.memory.pipeline import captions, speech, summaries, write
from vidseek.memory.pipeline.beside import Beside, torch_threads
from vidseek.memory.pipeline.cache import StageCache
from vidseek.memory.pipeline.context import StageFailed, StageOutcome, VideoJob
from vidseek.memory.pipeline.frame_pass import FramePass
from vidseek.memory.pipeline.frame_stages import FrameStage, make_frame_stage
from vidseek.memory.pipeline.plan import FRAME_STAGES, plan_digests
from vidseek.memory.pipeline.report import BuildReport, StageResult
from vidseek.memory.store.locks import video_lock
from vidseek.progress import Progress, ProgressSink

if TYPE_CHECKING:
    from vidseek.memory.store import SegmentStore
    from vidseek.models.hub import ModelHub

log = logging.getLogger(__name__)


def _never_off(job: VideoJob) -> str:
    return ""


@dataclass(frozen=True)
class Stage:
    """A stage as the engine sees it: its output files (for the cache check), its body, and
    why it is off for a video ("" when it runs) with what to write then."""

    name: str
    files: tuple[str, ...]
    run: Callable[[VideoJob], StageOutcome]
    off_reason: Callable[[VideoJob], str] = _never_off
    write_off: Callable[[VideoJob, str], None] | None = None


# the stages after the frame pass, in order
STAGES: tuple[Stage, ...] = (
    Stage("speech", speech.FILES, speech.run, speech.off_reason, speech.write_off),
    Stage("clips", summaries.CLIP_FILES, summaries.run_clips),
    Stage("captions", captions.FILES, captions.run),
    Stage("summaries", summaries.SUMMARY_FILES, summaries.run_summaries),
    Stage("write", (), write.run),
)

# stages that need no frames: with index.concurrent_stages they run beside the frame pass
BESIDE_FRAMES = ("speech",)
# stages that read speech output: a speech stage run beside the frame pass is joined before them
NEEDS_SPEECH = ("captions", "summaries", "write")

_FRAME_MODELS = {
    "frames": "image_text_embedder",
    "detections": "detector",
    "screen_text": "ocr",
}


def frame_stage_off(name: str, job: VideoJob) -> str:
    role = _FRAME_MODELS.get(name)
    if role and getattr(job.settings.models, role) is None:
        return f"models.{role} is off"
    return ""


class LocalEngine:
    """Indexes videos one at a time in this process, against one store and one set of models."""

    def __init__(
        self,
        settings: Settings,
        models: ModelHub,
        store: SegmentStore,
        progress: ProgressSink | None = None,
    ) -> None:
        self.settings = settings
        self.models = models
        self.store = store
        self.sink = progress

    # -- one video -----------------------------------------------------------------------------
    def run(self, video: str | Path) -> BuildReport:
        from vidseek.media.probe import probe

        video = Path(video)
        progress = Progress(self.sink, scope=str(video))
        t0 = time.perf_counter()
        progress.start("probe", total=1, unit="steps")
        try:
            info = probe(video, self.settings)
        except Exception as exc:
            progress.finish("probe", f"failed: {exc}")
            raise
        try:
            check_room_to_index(video, info.duration_s, self.settings)
        except Exception as exc:
            progress.finish("probe", f"failed: {exc}")
            raise
        report = BuildReport(info=info)
        art = Artefacts(self.settings.videos_dir / info.video_id)
        lock = self.settings.videos_dir / f".{info.video_id}.lock"
        # another process indexing the same video (by any path): wait, then find its work done
        seconds = time.perf_counter() - t0
        self._add(report, StageResult("probe", "done", f"{info.duration_s:.1f} s", seconds))
        progress.finish("probe", f"{seconds:.1f} s")
        say = progress.message if progress.enabled else None
        with video_lock(lock, str(video), say):
            self.store.upsert_video(info)
            digests = plan_digests(video, info, self.settings)
            cache = StageCache(self.store, art, info.video_id, digests)
            job = VideoJob(
                video, info, self.settings, self.models, self.store, art, cache, progress
            )
            beside = Beside(job, report, self._beside_frames(job), self._stage)
            try:
                self._frame_stages(job, report, beside.start)
                for stage in STAGES:
                    if stage.name in NEEDS_SPEECH:
                        beside.join()
                    if stage.name not in beside.names:
                        self._stage(job, stage, report)
                beside.join()
            except BaseException:
                beside.join(quiet=True)  # its work is kept; the first error is raised
                raise
        report.seconds = time.perf_counter() - t0
        return report

    def run_many(
        self,
        videos: Sequence[str | Path],
        on_report: Callable[[BuildReport], None] | None = None,
    ) -> list[BuildReport]:
        """Every video in turn; one that fails with a vidseek error is reported and the others
        still run. One video's error is raised as it is (printed once by the caller); with several
        videos each failure is logged once and a summary error is raised at the end."""
        reports: list[BuildReport] = []
        errors: list[VidseekError] = []
        for video in videos:
            try:
                try:
                    report = self.run(video)
                except (OSError, UnicodeError) as exc:  # still one line that names the file
                    raise VideoError(video, f"{type(exc).__name__}: {exc}") from exc
            except VidseekError as exc:
                if len(videos) > 1:  # a single video's error is raised below, printed once
                    log.error("%s", exc)
                errors.append(exc)
                continue
            reports.append(report)
            if on_report is not None:
                on_report(report)
        if len(videos) == 1 and errors:
            raise errors[0]
        if errors:
            raise VidseekError(
                f"{len(errors)} of {len(videos)} videos could not be indexed (see above)"
            )
        return reports

    # -- stages ----------------------------------------------------------------------------------
    def open_frame_pass(self, job: VideoJob, units: list[FrameStage]) -> FramePass:
        """The pass that runs the stale frame stages (the seam for a concurrent frame pass: it
        must offer ``totals()`` and ``run(finished)``)."""
        return FramePass(job, units)

    def _frame_stages(
        self, job: VideoJob, report: BuildReport, started: Callable[[], None] = lambda: None
    ) -> None:
        """The frame pass; ``started`` is called once every frame stage has started (the
        stages that run beside the pass start then)."""
        off = {name: frame_stage_off(name, job) for name in FRAME_STAGES}
        cached = {
            name for name in FRAME_STAGES if not off[name] and job.cache.fresh(name, f"{name}.json")
        }
        stale = [name for name in FRAME_STAGES if not off[name] and name not in cached]
        for name in cached:  # a kill between "done" and the clean-up leaves parts behind
            job.cache.drop_parts(name)
        frame_pass = self.open_frame_pass(
            job, [make_frame_stage(n, job.settings, job.models, job.info) for n in stale]
        )
        totals = frame_pass.totals()
        for name in FRAME_STAGES:  # every stage starts in STAGE_ORDER
            if off[name]:
                job.art.write_json(f"{name}.json", {"off": True})
                self._skipped(job, report, name, off[name])
            elif name in cached:
                self._cached(job, report, name)
            else:
                total, done = totals[name]
                job.progress.start(name, total=total, unit="frames", done=done)
        started()
        if not stale:
            return

        ended: list[str] = []

        def finished(name: str, outcome: StageOutcome, seconds: float) -> None:
            self._done(job, report, name, outcome, seconds)
            ended.append(name)

        try:
            with torch_threads(job.settings):
                timing = frame_pass.run(finished)
        except Exception as exc:
            for name in stale:
                if name not in ended:
                    job.progress.finish(name, f"failed: {exc}")
            raise
        report.decode_s += timing.decode_wait_s
        report.frame_pass_s += timing.wall_s

    def _beside_frames(self, job: VideoJob) -> list[Stage]:
        """The stages to run beside the frame pass: those of ``BESIDE_FRAMES`` that will run
        (off or cached ones are reported in their turn, as before)."""
        if not job.settings.index.concurrent_stages:
            return []
        return [
            s
            for s in STAGES
            if s.name in BESIDE_FRAMES
            and not s.off_reason(job)
            and not job.cache.fresh(s.name, *s.files)
        ]

    def _stage(self, job: VideoJob, stage: Stage, report: BuildReport) -> None:
        name = stage.name
        reason = stage.off_reason(job)
        if reason:
            if stage.write_off is not None:
                stage.write_off(job, reason)
            self._skipped(job, report, name, reason)
            return
        if job.cache.fresh(name, *stage.files):
            self._cached(job, report, name)
            return
        t0 = time.perf_counter()
        try:
            outcome = stage.run(job)
        except StageFailed as failed:
            job.cache.mark(name, "failed", failed.outcome.detail)
            seconds = time.perf_counter() - t0
            o = failed.outcome
            self._add(report, StageResult(name, "failed", o.reason, seconds, o.items, o.video_s))
            job.progress.finish(name, f"failed: {o.reason}")
            raise failed.error from failed.error.__cause__  # the first failure
        except Exception as exc:
            job.progress.finish(name, f"failed: {exc}")
            raise
        self._done(job, report, name, outcome, time.perf_counter() - t0)

    def _done(
        self, job: VideoJob, report: BuildReport, name: str, outcome: StageOutcome, seconds: float
    ) -> None:
        job.cache.done(name, outcome.detail)
        if name == "write":
            self.store.mark_indexed(job.info.video_id, write.model_refs(job))
        result = StageResult(name, "done", outcome.reason, seconds, outcome.items, outcome.video_s)
        self._add(report, result)
        job.progress.finish(name, f"{seconds:.1f} s")

    def _cached(self, job: VideoJob, report: BuildReport, name: str) -> None:
        if name == "write":
            self.store.mark_indexed(job.info.video_id, write.model_refs(job))
        self._add(report, StageResult(name, "cached", "unchanged since the last run"))
        job.progress.start(name)
        job.progress.finish(name, "cached")

    def _skipped(self, job: VideoJob, report: BuildReport, name: str, reason: str) -> None:
        job.cache.done(name, {"skipped": reason})
        self._add(report, StageResult(name, "skipped", reason))
        job.progress.start(name)
        job.progress.finish(name, f"skipped: {reason}")

    @staticmethod
    def _add(report: BuildReport, result: StageResult) -> None:
        report.stages.append(result)
        log.info("%s: %s %s (%.1f s)", result.stage, result.status, result.reason, result.seconds)
