"""Asking and threads: a question answered as a stream of the agent's events over SSE (then the
answer with its evidence and budgets), or as one JSON answer; threads listed, read, started."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from vidseek.api.routes_library import service
from vidseek.api.sse import Emit, from_thread, stream_response
from vidseek.errors import VidseekError
from vidseek.service import AskResult, ThreadDetail, ThreadInfo, VidseekService
from vidseek.service.errors import ServiceError

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api")


class AskBody(BaseModel):
    video_id: str
    question: str = Field(min_length=1, max_length=2000)
    thread_id: str | None = Field(None, description="continue this thread; a new one when omitted")
    policy: str | None = Field(None, description="for a new thread (default from settings)")
    planner: str | None = Field(None, description="planner model ref, for a new thread")
    options: list[str] | None = Field(None, description="multiple-choice options")


class NewThread(BaseModel):
    video_id: str
    policy: str | None = None
    planner: str | None = None


@router.get("/options", tags=["ask"])
def options(svc: VidseekService = Depends(service)) -> dict[str, Any]:
    """Policies and planners a thread may use, the defaults and the budgets."""
    return svc.options()


@router.post(
    "/ask",
    tags=["ask"],
    response_model=AskResult,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def ask(
    body: AskBody,
    request: Request,
    stream: bool = Query(True, description="stream events over SSE; false: one JSON answer"),
    svc: VidseekService = Depends(service),
):
    """Answer a question about a video. Streamed: ``thread`` (the thread in use), one ``event``
    per agent event (start, thought, tool_start, tool_end, notice, error, answer), then
    ``result`` (the answer, its evidence spans, confidence, budgets and cost) or ``error``.
    Bad input is refused with a status before the stream starts."""
    index, thread = await run_in_threadpool(
        svc.asker.prepare, body.video_id, body.question, body.thread_id, body.policy, body.planner
    )
    question = body.question.strip()
    if not stream:
        return await run_in_threadpool(svc.asker.answer, index, thread, question, body.options)

    def work(emit: Emit) -> None:
        emit("thread", thread.model_dump())
        try:
            result = svc.asker.answer(
                index, thread, question, body.options, lambda ev: emit("event", ev.as_dict())
            )
        except ServiceError as exc:
            emit("error", {"error": str(exc), "status": exc.status})
        except VidseekError as exc:
            emit("error", {"error": str(exc), "status": 400})
        except Exception as exc:  # a bug: the stream says so instead of hanging
            log.exception("ask failed")
            emit("error", {"error": f"{type(exc).__name__}: {exc}", "status": 500})
        else:
            emit("result", result.model_dump())

    return stream_response(from_thread(work, request.app.state.ask_pool))


@router.get("/threads", response_model=list[ThreadInfo], tags=["threads"])
def list_threads(
    video_id: str | None = Query(None), svc: VidseekService = Depends(service)
) -> list[ThreadInfo]:
    """Threads, most recent first (of one video when ``video_id`` is given)."""
    return svc.list_threads(video_id)


@router.post("/threads", response_model=ThreadInfo, status_code=201, tags=["threads"])
def new_thread(body: NewThread, svc: VidseekService = Depends(service)) -> ThreadInfo:
    """Start a thread with its own policy and planner."""
    return svc.new_thread(body.video_id, body.policy, body.planner)


@router.get("/threads/{thread_id}", response_model=ThreadDetail, tags=["threads"])
def get_thread(thread_id: str, svc: VidseekService = Depends(service)) -> ThreadDetail:
    """A thread with its turns (questions, answers, evidence), to resume it."""
    return svc.thread(thread_id)
