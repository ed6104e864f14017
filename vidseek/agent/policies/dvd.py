"""The ``dvd`` policy (Deep Video Discovery): the planner chooses tools freely, guided by a
tool-selection guide; when a vision model is available it must confirm on pixels before finishing."""

from __future__ import annotations

from typing import Any

from vidseek.agent.graph import (
    MAX_REPEATS,
    RunContext,
    assistant_message,
    vet_calls,
    video_text_note,
)
from vidseek.agent.policies.common import user_question_message
from vidseek.agent.state import AgentState
from vidseek.prompts import load_prompt, render

LOOK_TOOLS = ("inspect_frames", "zoom")
FINISH = {"type": "function", "function": {"name": "finish"}}


class DvdPolicy:
    name = "dvd"

    def system_prompt(self, run: RunContext) -> str:
        confirm = (
            "Before finishing, confirm on pixels: call inspect_frames (or zoom) on your evidence spans."
            if run.can_see and any(t in run.tools for t in LOOK_TOOLS)
            else "No vision model is available: answer from speech, on-screen text, captions and "
            "detections, and lower your confidence for purely visual questions."
        )
        return render(
            "dvd",
            duration_s=float(run.tool_ctx.video.duration_s),
            confirm_rule=confirm,
            tool_guide=load_prompt("tool_guide"),
            data_rule=video_text_note(),
        )

    def plan(self, run: RunContext, state: AgentState) -> dict[str, Any]:
        step = int(state.get("step") or 0)
        pol: dict[str, Any] = dict(state.get("policy") or {})
        messages = list(state.get("messages") or [])
        if not messages:
            messages = [
                {"role": "system", "content": self.system_prompt(run)},
                user_question_message(state),
            ]
        force = run.budget.is_last_step() or bool(pol.get("force_finish"))
        wire = messages
        tool_choice: dict[str, Any] | None = None
        if force:
            wire = [*messages, {"role": "user", "content": load_prompt("last_step")}]
            tool_choice = FINISH
        resp = run.call_model(wire, step, tools=run.specs(), tool_choice=tool_choice)
        thought = resp.content.strip()
        if thought:
            run.bus.emit("thought", step, text=thought)

        if not resp.tool_calls:
            return self._no_call(run, step, messages, pol, thought, force)

        pending, seen, repeats = vet_calls(run, state, resp.tool_calls)
        for call in pending:
            if call["name"] == "finish" and not call.get("error"):
                pol["draft_answer"] = str((call.get("arguments") or {}).get("answer", ""))
                if self._must_look_first(run, state, pol):
                    pol["confirm_asked"] = True
                    call["error"] = (
                        "confirm on pixels first: call inspect_frames on the spans of your "
                        "evidence, then call finish."
                    )
        if repeats:
            pol["repeats"] = int(pol.get("repeats", 0)) + repeats
            if pol["repeats"] >= MAX_REPEATS:
                pol["force_finish"] = True
                run.bus.emit(
                    "notice", step, text="the planner is repeating itself; it must finish next"
                )
        messages.append(assistant_message(resp.content, pending))
        return {"messages": messages, "pending": pending, "seen_calls": seen, "policy": pol}

    def _must_look_first(self, run: RunContext, state: AgentState, pol: dict[str, Any]) -> bool:
        if not run.can_see or pol.get("confirm_asked") or run.budget.is_last_step():
            return False
        if not any(t in run.tools for t in LOOK_TOOLS):
            return False
        return not any(
            r.get("ok") and r.get("name") in LOOK_TOOLS for r in state.get("results") or []
        )

    def _no_call(
        self,
        run: RunContext,
        step: int,
        messages: list[dict[str, Any]],
        pol: dict[str, Any],
        thought: str,
        force: bool,
    ) -> dict[str, Any]:
        """A reply without a tool call: nudge once; then take the text as a best-effort answer."""
        messages.append({"role": "assistant", "content": thought})
        pol["no_call"] = int(pol.get("no_call", 0)) + 1
        if thought:
            pol["draft_answer"] = thought
        if pol["no_call"] >= 2 or force:
            if thought:
                final = {"answer": thought, "evidence": [], "confidence": 0.0, "best_effort": True}
                run.bus.emit("notice", step, text="the planner answered without calling finish")
                return {"messages": messages, "policy": pol, "final": final}
            return {
                "messages": messages,
                "policy": pol,
                "stop_reason": "the planner stopped calling tools",
            }
        messages.append(
            {"role": "user", "content": "Call one of the tools, or call finish with your answer."}
        )
        return {"messages": messages, "policy": pol, "pending": []}
