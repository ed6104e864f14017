"""The Agent: one video, one planner, the tools, a policy and (optionally) a chat session."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vidseek.agent.answer import Answer, Trace
from vidseek.agent.budgets import RunBudget
from vidseek.agent.events import Event, EventBus
from vidseek.agent.graph import answer_from_state, build_graph
from vidseek.agent.policies import get_policy
from vidseek.agent.run import RunContext, capabilities
from vidseek.agent.sessions import new_thread_id, open_checkpointer
from vidseek.agent.state import AgentState, Turn
from vidseek.config import Settings, load_settings
from vidseek.errors import ConfigError, NotIndexedError, VideoError, VidseekError
from vidseek.models.chat_base import ChatModel
from vidseek.progress import ProgressSink
from vidseek.tools.base import Tool, ToolContext

log = logging.getLogger(__name__)


def open_or_index(
    video: str | Path, settings: Settings, models: Any, progress: ProgressSink | bool | None = True
) -> Any:
    """The index of ``video``, building it first when there is none."""
    from vidseek.memory.video_index import VideoIndex

    try:
        return VideoIndex.open(settings, video, models)
    except NotIndexedError:
        pass
    except VidseekError as exc:
        if "index" not in str(exc).lower():
            raise
    from vidseek.memory.builder import index

    return index(video, settings, models, progress=progress)


class Agent:
    """Answers questions about one indexed video.

    ``index``, ``models``, ``planner`` and ``tools`` default to what ``settings`` names; tests pass
    their own (a scripted planner, small fake tools). With ``sessions=True`` every ``ask`` runs in a
    LangGraph thread stored by the SQLite checkpointer, so follow-ups see earlier turns.
    """

    def __init__(
        self,
        video: str | Path | None = None,
        settings: Settings | None = None,
        *,
        index: Any = None,
        models: Any = None,
        planner: ChatModel | None = None,
        tools: dict[str, Tool] | None = None,
        policy: str | None = None,
        on_event: Callable[[Event], None] | None = None,
        on_token: Callable[[str], None] | None = None,
        sessions: bool = False,
        can_see: bool | None = None,
        progress: ProgressSink | bool | None = True,
        checkpointer: Any = None,
    ) -> None:
        self.settings = settings or load_settings()
        if index is None:
            if video is None:
                raise ConfigError("Agent needs a video or an index")
            path = Path(video)
            if not path.exists():
                raise VideoError(path, "no such file")
            if models is None:
                from vidseek.models.hub import ModelHub

                models = ModelHub(self.settings)
            index = open_or_index(path, self.settings, models, progress=progress)
        self.index = index
        self.models = models if models is not None else getattr(index, "models", None)
        if tools is None:
            from vidseek.tools.registry import load_tools

            tools = load_tools(self.settings)
        if not any(t.role == "finish" for t in tools.values()):
            raise ConfigError("the tool set has no tool with role 'finish'; a run could never end")
        self.tools = tools
        self._planner = planner
        self.policy = get_policy(policy or self.settings.agent.policy)
        self.on_event = on_event
        self.on_token = on_token
        self._can_see = can_see
        # a checkpointer given by the caller (a server's, shared by its sessions) stays the caller's
        self._owns_checkpointer = checkpointer is None
        if checkpointer is None and sessions:
            checkpointer = open_checkpointer(self.settings)
        self.checkpointer = checkpointer
        self.graph = build_graph(self.policy, self.checkpointer)  # once; each ask passes its run
        self.thread_id: str | None = None
        self.last_answer: Answer | None = None

    # --- handles ------------------------------------------------------------------------------------

    @property
    def planner(self) -> ChatModel:
        if self._planner is None:
            if self.models is not None and hasattr(self.models, "planner"):
                self._planner = self.models.planner
            else:
                from vidseek.models.chat import load_chat_model

                self._planner = load_chat_model(self.settings.models.planner, self.settings)
        return self._planner

    @property
    def video_info(self) -> Any:
        return self.index.info

    def can_see(self) -> bool:
        """Whether a vision model looks at frames (else looks fall back to metadata)."""
        if self._can_see is None:
            try:
                looker = self.models.looker if self.models is not None else None
                self._can_see = bool(getattr(looker, "can_see", False))
            except VidseekError as exc:
                log.warning("no vision model: %s", exc)
                self._can_see = False
        return self._can_see

    # --- asking -------------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        options: list[str] | None = None,
        thread_id: str | None = None,
        on_event: Callable[[Event], None] | None = None,
    ) -> Answer:
        """Answer one question (in ``thread_id``, or the agent's current thread with sessions)."""
        question = (question or "").strip()
        if not question:
            raise ConfigError("the question is empty; ask something about the video")
        if options is not None and len([o for o in options if str(o).strip()]) < 2:
            raise ConfigError("multiple-choice options need at least two non-empty options")
        config, history = self._thread_config(thread_id)
        start: AgentState = {
            "question": question,
            "options": list(options) if options else None,
            "messages": [],
            "history": history,
            "step": 0,
            "pending": [],
            "results": [],
            "final": None,
            "policy": {},
            "seen_calls": {},
            "stop_reason": "",
            "best_effort": False,
            "error": None,
        }
        if self.interrupted() == question:  # the same question, cut off by a crash: continue it
            return self._run(None, question, options, on_event, config)
        return self._run(start, question, options, on_event, config)

    def interrupted(self, thread_id: str | None = None) -> str | None:
        """The question of this thread's run that a crash cut off (its last checkpoint still has
        nodes to run), or None."""
        tid = thread_id or self.thread_id
        if self.checkpointer is None or tid is None:
            return None
        snap = self.graph.get_state({"configurable": {"thread_id": tid}})
        if not snap.next:
            return None
        return str((snap.values or {}).get("question") or "") or None

    def resume(
        self, thread_id: str | None = None, on_event: Callable[[Event], None] | None = None
    ) -> Answer:
        """Finish the run a crash cut off, from its last checkpoint (tool calls already done are
        not made again)."""
        config, _ = self._thread_config(thread_id)
        question = self.interrupted()
        if question is None:
            raise ConfigError(f"thread {self.thread_id} has no unfinished question to resume")
        saved = self.graph.get_state(config).values or {}
        return self._run(None, question, saved.get("options"), on_event, config)

    def _thread_config(self, thread_id: str | None) -> tuple[dict[str, Any], list[Turn]]:
        steps = max(1, self.settings.agent.max_steps)  # as RunBudget counts them
        config: dict[str, Any] = {"recursion_limit": 3 * steps + 10}
        if self.checkpointer is None:
            return config, []
        self.thread_id = thread_id or self.thread_id or new_thread_id(self.video_info.video_id)
        config["configurable"] = {"thread_id": self.thread_id}
        return config, self.history(self.thread_id)

    def _run(
        self,
        start: AgentState | None,
        question: str,
        options: list[str] | None,
        on_event: Callable[[Event], None] | None,
        config: dict[str, Any],
    ) -> Answer:
        """Run the graph from ``start`` (None: from the thread's last checkpoint)."""
        bus = EventBus(self.on_event, on_event)
        budget = RunBudget.from_settings(self.settings.agent)
        trace = Trace()
        tool_ctx = ToolContext(
            settings=self.settings,
            video=self.video_info,
            index=self.index,
            models=self.models,
            budget=budget.tool_budget,
            artefact_dir=str(Path(self.settings.data_dir) / "artefacts"),
        )
        planner = self.planner
        run = RunContext(
            model=planner,
            tools=self.tools,
            tool_ctx=tool_ctx,
            budget=budget,
            bus=bus,
            settings=self.settings,
            trace=trace,
            can_see=self.can_see(),
            planner_sees_images=capabilities(planner).sees_images,
            on_token=self.on_token,
        )
        bus.emit(
            "start",
            0,
            question=question,
            options=options,
            policy=self.policy.name,
            planner=getattr(planner, "ref", ""),
            thread_id=self.thread_id,
            resumed=start is None,
        )
        t0 = time.monotonic()
        # "sync": each step's checkpoint is on disk before the next step starts, so a killed
        # process loses at most the step it was in (LangGraph's default writes in the background;
        # without a checkpointer there is nothing to write, and langgraph 1.2 fails on "sync")
        durable = {"durability": "sync"} if self.checkpointer is not None else {}
        state = self.graph.invoke(start, config, context=run, **durable)
        ans = answer_from_state(state)
        trace.wall_s = round(time.monotonic() - t0, 3)
        trace.stop_reason = "finish" if state.get("final") else str(state.get("stop_reason") or "")
        ans.trace = trace
        ans.thread_id = self.thread_id
        bus.emit("answer", int(state.get("step") or 0), **ans.as_dict(with_trace=False))
        self.last_answer = ans
        return ans

    def history(self, thread_id: str | None = None) -> list[Turn]:
        """Earlier questions and answers of a chat thread."""
        tid = thread_id or self.thread_id
        if self.checkpointer is None or tid is None:
            return []
        saved = self.checkpointer.get_tuple({"configurable": {"thread_id": tid}})
        if saved is None:
            return []
        values = saved.checkpoint.get("channel_values", {})
        return list(values.get("history") or [])

    def new_thread(self) -> str:
        self.thread_id = new_thread_id(self.video_info.video_id)
        return self.thread_id

    def close(self) -> None:
        if self.checkpointer is not None and self._owns_checkpointer:
            self.checkpointer.conn.close()
        self.checkpointer = None

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ask(
    video: str | Path,
    question: str,
    settings: Settings | None = None,
    options: list[str] | None = None,
    **kwargs: Any,
) -> Answer:
    """Index ``video`` if needed and answer one question about it."""
    with Agent(video, settings, **kwargs) as agent:
        return agent.ask(question, options)
