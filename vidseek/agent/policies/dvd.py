"""The ``dvd`` policy (Deep Video Discovery): the planner chooses tools freely, guided by a
tool-selection guide; when a vision model is available it must confirm on pixels before finishing."""

from __future__ import annotations

from typing import Any, cast

from vidseek.agent.messages import assistant_message, vet_calls, video_text_note
from vidseek.agent.policies.common import user_question_message
from vidseek.agent.run import RunContext
from vidseek.agent.state import AgentState, PolicyState, results_with_role
from vidseek.prompts import load_prompt, render
from vidseek.tools.base import Tool

MAX_REPEATS = 2  # the same call asked this many times more forces the planner to finish


class DvdState(PolicyState, total=False):
    repeats: int  # calls refused as repeats so far
    force_finish: bool  # the next step must call finish
    confirm_asked: bool  # the planner was told once to confirm on pixels
    no_call: int  # replies without a tool call so far


def _pixel_looks(run: RunContext) -> list[Tool]:
    """Look tools that confirm on pixels (only useful when a vision model can see)."""
    return [t for t in run.tools_for("look") if t.needs_vision]


class DvdPolicy:
    name = "dvd"

    def system_prompt(self, run: RunContext) -> str:
        looks = _pixel_looks(run)
        confirm = (
            render(
                "dvd.confirm_on_pixels",
                run.settings,
                look_tools=" or ".join(t.name for t in looks[:2]),
            )
            if run.can_see and looks
            else load_prompt("dvd.cannot_see", run.settings)
        )
        return render(
            "dvd.system",
            run.settings,
            duration_s=float(run.tool_ctx.video.duration_s),
            confirm_rule=confirm,
            tool_guide=load_prompt("dvd.tool_guide", run.settings),
            data_rule=video_text_note(run.settings),
        )

    def plan(self, run: RunContext, state: AgentState) -> dict[str, Any]:
        step = int(state.get("step") or 0)
        pol = cast(DvdState, dict(state.get("policy") or {}))
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
            wire = [
                *messages,
                {"role": "user", "content": load_prompt("dvd.last_step", run.settings)},
            ]
            tool_choice = _finish_choice(run)
        resp = run.call_model(wire, step, tools=run.specs(), tool_choice=tool_choice)
        thought = resp.content.strip()
        if thought:
            run.bus.emit("thought", step, text=thought)

        if not resp.tool_calls:
            return self._no_call(run, step, messages, pol, thought, force)

        pending, seen, repeats = vet_calls(run, state, resp.tool_calls)
        for call in pending:
            if run.role_of(call["name"]) == "finish" and not call.get("error"):
                pol["draft_answer"] = str((call.get("arguments") or {}).get("answer", ""))
                if self._must_look_first(run, state, pol):
                    pol["confirm_asked"] = True
                    look = _pixel_looks(run)[0].name
                    call["error"] = (
                        f"confirm on pixels first: call {look} on the spans of your "
                        f"evidence, then call {call['name']}."
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

    def _must_look_first(self, run: RunContext, state: AgentState, pol: DvdState) -> bool:
        if not run.can_see or pol.get("confirm_asked") or run.budget.is_last_step():
            return False
        looks = {t.name for t in _pixel_looks(run)}
        if not looks:
            return False
        return not any(r.get("name") in looks for r in results_with_role(state, "look"))

    def _no_call(
        self,
        run: RunContext,
        step: int,
        messages: list[dict[str, Any]],
        pol: DvdState,
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
        messages.append({"role": "user", "content": load_prompt("dvd.nudge", run.settings)})
        return {"messages": messages, "policy": pol, "pending": []}


def _finish_choice(run: RunContext) -> dict[str, Any]:
    """The tool_choice that forces the finish tool."""
    finish = run.tool_for("finish")
    assert finish is not None  # the Agent refuses a tool set without one
    return {"type": "function", "function": {"name": finish.name}}
