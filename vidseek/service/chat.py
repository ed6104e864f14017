"""Asking: one question in one thread, with the agent's events streamed to the caller.

Every session shares the models (so the planner's local LLM server runs once) and one SQLite
checkpointer, whose connection serialises writes behind its own lock, so concurrent sessions
never see "database is locked". A thread keeps the policy and planner it was started with.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from vidseek.agent import Agent, Answer, Event
from vidseek.agent.sessions import new_thread_id, open_checkpointer
from vidseek.config import Settings
from vidseek.errors import ConfigError
from vidseek.models.chat_base import ChatModel
from vidseek.service.errors import BusyError, InputError
from vidseek.service.threads import ThreadStore
from vidseek.service.types import AskResult, Budgets, Span, ThreadInfo, ToolCallInfo, Turn

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000


def policy_names() -> list[str]:
    from vidseek.agent.policies import POLICIES

    return list(POLICIES)


def check_policy(name: str) -> str:
    from vidseek.agent.policies import get_policy

    try:
        get_policy(name)
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    return name


def result_of(ans: Answer, video_id: str, policy: str, planner: str, s: Settings) -> AskResult:
    tr = ans.trace
    return AskResult(
        video_id=video_id,
        thread_id=ans.thread_id or "",
        question=ans.question,
        answer=ans.answer,
        choice=ans.choice,
        evidence=[Span(start_s=e.start_s, end_s=e.end_s, why=e.why) for e in ans.evidence],
        confidence=ans.confidence,
        best_effort=ans.best_effort,
        error=ans.error,
        policy=policy,
        planner=planner,
        budgets=Budgets(
            steps=tr.steps,
            max_steps=s.agent.max_steps,
            tool_calls=len(tr.tool_calls),
            prompt_tokens=tr.prompt_tokens,
            completion_tokens=tr.completion_tokens,
            total_tokens=tr.total_tokens,
            max_tokens=s.agent.max_tokens,
            frames=tr.frames_looked,
            max_frames=s.agent.max_frames,
            wall_s=tr.wall_s,
            max_wall_s=s.agent.max_wall_s,
            cost_usd=round(tr.cost_usd, 6),
            stop_reason=tr.stop_reason,
        ),
        tool_calls=[
            ToolCallInfo(
                step=c.step,
                name=c.name,
                arguments=c.arguments,
                ok=c.ok,
                wall_s=c.wall_s,
                evidence=[Span(**e) for e in c.evidence],
            )
            for c in tr.tool_calls
        ],
    )


class Asker:
    """Answers questions for every session of one server."""

    def __init__(
        self,
        settings: Settings,
        models: Any,
        open_index: Callable[[str], Any],
        threads: ThreadStore,
        tools: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.models = models
        self.open_index = open_index
        self.threads = threads
        self._tools = tools
        self.checkpointer = open_checkpointer(settings)
        self._planners: dict[str, ChatModel] = {}
        self._planner_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, settings.serve.max_concurrent_asks))
        self._busy_threads: set[str] = set()
        self._busy_lock = threading.Lock()

    @property
    def tools(self) -> dict[str, Any]:
        if self._tools is None:
            from vidseek.tools.registry import load_tools

            self._tools = load_tools(self.settings)
        return self._tools

    # --- planners ---------------------------------------------------------------------------

    def register_planner(self, model: ChatModel, ref: str | None = None) -> str:
        """Offer an already built planner under ``ref`` (default: its own ``ref``)."""
        name = ref or str(getattr(model, "ref", "")) or type(model).__name__
        with self._planner_lock:
            self._planners[name] = model
        return name

    def planner_names(self) -> list[str]:
        with self._planner_lock:
            return list(dict.fromkeys([self.settings.models.planner, *self._planners]))

    def planner(self, ref: str) -> ChatModel:
        """The planner for ``ref``, built once and shared by every session."""
        with self._planner_lock:
            if ref in self._planners:
                return self._planners[ref]
        if ref == self.settings.models.planner and hasattr(self.models, "planner"):
            model = self.models.planner
        else:
            from vidseek.models.loader import load_planner

            s = self.settings.model_copy(deep=True)
            s.models.planner = ref
            try:
                model = load_planner(ref, s)
            except ConfigError as exc:
                raise InputError(str(exc)) from None
        with self._planner_lock:
            return self._planners.setdefault(ref, model)

    # --- threads ----------------------------------------------------------------------------

    def new_thread(
        self, video_id: str, policy: str | None = None, planner: str | None = None
    ) -> ThreadInfo:
        policy = check_policy(policy or self.settings.agent.policy)
        planner = (planner or self.settings.models.planner).strip()
        if not planner:
            raise InputError("the planner reference is empty")
        return self.threads.create(new_thread_id(video_id), video_id, policy, planner)

    def history(self, thread_id: str) -> list[Turn]:
        saved = self.checkpointer.get_tuple({"configurable": {"thread_id": thread_id}})
        if saved is None:
            return []
        turns = saved.checkpoint.get("channel_values", {}).get("history") or []
        return [
            Turn(
                question=t.get("question", ""),
                answer=t.get("answer", ""),
                choice=t.get("choice"),
                evidence=[Span(**e) for e in t.get("evidence") or []],
                confidence=float(t.get("confidence") or 0.0),
            )
            for t in turns
        ]

    # --- asking -----------------------------------------------------------------------------

    def prepare(
        self,
        video_id: str,
        question: str,
        thread_id: str | None = None,
        policy: str | None = None,
        planner: str | None = None,
    ) -> tuple[Any, ThreadInfo]:
        """Check a question before any work starts (so an API can refuse it with a status, not
        in the middle of a stream): the video's index and the thread (a new one when None)."""
        question = (question or "").strip()
        if not question:
            raise InputError("the question is empty; ask something about the video")
        if len(question) > MAX_QUESTION_CHARS:
            raise InputError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
        index = self.open_index(video_id)
        if not thread_id:
            return index, self.new_thread(index.video_id, policy, planner)
        thread = self.threads.get(thread_id)
        if thread.video_id != index.video_id:
            raise InputError(f"thread {thread_id} is about another video ({thread.video_id})")
        for what, asked, kept in (
            ("policy", policy, thread.policy),
            ("planner", planner, thread.planner),
        ):
            if asked and asked != kept:
                raise InputError(
                    f"thread {thread_id} uses {what} {kept!r}; start a new thread for {asked!r}"
                )
        return index, thread

    def ask(
        self,
        video_id: str,
        question: str,
        thread_id: str | None = None,
        policy: str | None = None,
        planner: str | None = None,
        options: list[str] | None = None,
        on_event: Callable[[Event], None] | None = None,
    ) -> AskResult:
        """Answer ``question`` about ``video_id`` in ``thread_id`` (a new thread when None)."""
        index, thread = self.prepare(video_id, question, thread_id, policy, planner)
        return self.answer(index, thread, question.strip(), options, on_event)

    def answer(
        self,
        index: Any,
        thread: ThreadInfo,
        question: str,
        options: list[str] | None = None,
        on_event: Callable[[Event], None] | None = None,
    ) -> AskResult:
        """Run the agent for a prepared question (one at a time per thread)."""
        model = self.planner(thread.planner)
        if not self._slots.acquire(blocking=False):
            raise BusyError(
                f"{self.settings.serve.max_concurrent_asks} questions are being answered; "
                "try again in a moment"
            )
        try:
            with self._busy_lock:
                if thread.thread_id in self._busy_threads:
                    raise BusyError(f"thread {thread.thread_id} is answering a question already")
                self._busy_threads.add(thread.thread_id)
            try:
                ans = self._run(index, model, thread, question, options, on_event)
            finally:
                with self._busy_lock:
                    self._busy_threads.discard(thread.thread_id)
        finally:
            self._slots.release()
        self.threads.touch(thread.thread_id, question)
        s = self._settings_for(thread)
        return result_of(ans, index.video_id, thread.policy, thread.planner, s)

    def _settings_for(self, thread: ThreadInfo) -> Settings:
        s = self.settings.model_copy(deep=True)
        s.agent.policy = thread.policy  # type: ignore[assignment]
        s.models.planner = thread.planner
        return s

    def _run(
        self,
        index: Any,
        model: ChatModel,
        thread: ThreadInfo,
        question: str,
        options: list[str] | None,
        on_event: Callable[[Event], None] | None,
    ) -> Answer:
        agent = Agent(
            settings=self._settings_for(thread),
            index=index,
            models=self.models,
            planner=model,
            tools=self.tools,
            policy=thread.policy,
            on_event=on_event,
            checkpointer=self.checkpointer,  # the shared one; never closed by this agent
        )
        try:
            return agent.ask(question, options, thread_id=thread.thread_id)
        except ConfigError as exc:
            raise InputError(str(exc)) from None

    def close(self) -> None:
        self.checkpointer.conn.close()
