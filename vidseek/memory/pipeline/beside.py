"""Stages that run beside the frame pass: speech needs the audio only, so with
``index.concurrent_stages`` it runs in a thread of its own while the frame stages decode, and is
joined before the first stage that reads its output. The engine's own stage runner does the
work in that thread (same cache, skip and failure records, same progress events); its results
join the build report in stage order.

Also the torch thread count of a concurrent pass: torch takes every core by default, which
oversubscribes the cores when two stages run at once (``index.torch_threads``).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from vidseek.config import Settings
from vidseek.memory.pipeline.context import VideoJob
from vidseek.memory.pipeline.plan import STAGE_ORDER
from vidseek.memory.pipeline.report import BuildReport

log = logging.getLogger(__name__)

RunStage = Callable[[VideoJob, Any, BuildReport], None]


class Beside:
    """The ``stages`` (engine ``Stage``s) run in one thread from ``start()`` until ``join()``."""

    def __init__(
        self, job: VideoJob, report: BuildReport, stages: Sequence[Any], run_stage: RunStage
    ) -> None:
        self.job, self.report, self.stages, self.run_stage = job, report, list(stages), run_stage
        self.names = {s.name for s in self.stages}
        self._side = BuildReport(info=report.info)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._joined = False

    def start(self) -> None:
        if not self.stages or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._work, name="vidseek-beside", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        try:
            for stage in self.stages:
                self.run_stage(self.job, stage, self._side)
        except BaseException as exc:  # noqa: BLE001 - raised by join()
            self._error = exc

    def join(self, quiet: bool = False) -> None:
        """Wait for the stages (run them here if never started); their results join the report;
        their error is raised (logged only, when ``quiet``: another error is on its way)."""
        if self._joined:
            return
        self._joined = True
        if self._thread is None:
            if quiet:  # never started: nothing to wait for, nothing to run now
                return
            self._work()
        else:
            self._thread.join()
        for result in self._side.stages:
            rank = STAGE_ORDER.index(result.stage)
            at = next(
                (
                    i
                    for i, r in enumerate(self.report.stages)
                    if r.stage in STAGE_ORDER and STAGE_ORDER.index(r.stage) > rank
                ),
                len(self.report.stages),
            )
            self.report.stages.insert(at, result)
        if self._error is not None:
            if quiet:
                log.error("%s beside the frame pass also failed: %s", self.names, self._error)
                return
            raise self._error


@contextmanager
def torch_threads(settings: Settings) -> Iterator[None]:
    """torch's CPU threads set to ``index.torch_threads`` while stages run concurrently (torch
    already loaded by a frame stage's model; nothing changes otherwise), restored after."""
    n = settings.index.torch_threads
    torch = sys.modules.get("torch")
    if not settings.index.concurrent_stages or n <= 0 or torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
