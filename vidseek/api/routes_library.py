"""The library routes: videos, adding by path or upload, indexing jobs (progress over SSE), the
video file (byte ranges, so the player can seek), thumbnails, and search."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from vidseek.api.sse import sse, stream_response
from vidseek.service import JobInfo, SearchResult, VideoSummary, VidseekService
from vidseek.service.errors import InputError
from vidseek.service.library import VIDEO_SUFFIXES

router = APIRouter(prefix="/api")

MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".avi": "video/x-msvideo",
    ".mpg": "video/mpeg",
    ".mpeg": "video/mpeg",
    ".ts": "video/mp2t",
}


def service(request: Request) -> VidseekService:
    return request.app.state.service


class AddVideo(BaseModel):
    path: str = Field(description="absolute path of a video file on the server")


@router.get("/videos", response_model=list[VideoSummary], tags=["library"])
def list_videos(svc: VidseekService = Depends(service)) -> list[VideoSummary]:
    """Every video in the library, with what indexed it and when."""
    return svc.list_videos()


@router.get("/videos/{video_id}", response_model=VideoSummary, tags=["library"])
def get_video(video_id: str, svc: VidseekService = Depends(service)) -> VideoSummary:
    return svc.video(video_id)


@router.delete("/videos/{video_id}", response_model=VideoSummary, tags=["library"])
def remove_video(video_id: str, svc: VidseekService = Depends(service)) -> VideoSummary:
    """Delete a video's index, thumbnails and threads; the file itself is kept."""
    return svc.remove_video(video_id)


@router.post("/videos", response_model=JobInfo, status_code=202, tags=["library"])
def add_video(body: AddVideo, svc: VidseekService = Depends(service)) -> JobInfo:
    """Index a file on the server (inside ``serve.media_roots``); follow the job's events."""
    return svc.add_path(body.path).info()


@router.post("/uploads", response_model=JobInfo, status_code=202, tags=["library"])
async def upload_video(
    request: Request,
    filename: str = Query(
        ..., description=f"the file's name, ending in {', '.join(VIDEO_SUFFIXES)}"
    ),
    svc: VidseekService = Depends(service),
) -> JobInfo:
    """Upload a video as the raw request body; it is size-limited while it arrives, probed, and
    then indexed. A file that is not a video is refused and deleted."""
    declared = request.headers.get("content-length")
    upload = svc.library.begin_upload(
        filename, int(declared) if declared and declared.isdigit() else None
    )
    try:
        async for chunk in request.stream():
            upload.write(chunk)
    except BaseException:
        upload.abort()
        raise
    if upload.size == 0:
        upload.abort()
        raise InputError(f"{upload.name}: the upload is empty")
    path = await run_in_threadpool(upload.finish)
    return svc.add_upload(path).info()


@router.get("/jobs", response_model=list[JobInfo], tags=["library"])
def list_jobs(svc: VidseekService = Depends(service)) -> list[JobInfo]:
    return svc.jobs.list()


@router.get("/jobs/{job_id}", response_model=JobInfo, tags=["library"])
def get_job(job_id: str, svc: VidseekService = Depends(service)) -> JobInfo:
    return svc.jobs.get(job_id).info()


@router.get("/jobs/{job_id}/events", tags=["library"])
async def job_events(
    job_id: str,
    request: Request,
    after: int = Query(0, ge=0, description="skip the first events (a reconnecting client)"),
    svc: VidseekService = Depends(service),
):
    """Server-sent events: ``progress`` (task, done, total, unit, scope, detail), ``status``
    (queued / running / done / failed), then ``end`` with the job."""
    job = svc.jobs.get(job_id)

    async def body():
        n = after
        while True:
            events, ended = await asyncio.to_thread(job.wait, n, 10.0)
            for item in events:
                yield sse(item["type"], item)
            n += len(events)
            if ended and not events:
                yield sse("end", job.info().model_dump())
                return
            if await request.is_disconnected():
                return

    return stream_response(body())


@router.get("/videos/{video_id}/media", tags=["media"])
def video_media(video_id: str, svc: VidseekService = Depends(service)) -> FileResponse:
    """The video file, with byte ranges (the player seeks with them)."""
    path = svc.library.media_path(video_id)
    media_type = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return FileResponse(path, media_type=media_type, content_disposition_type="inline")


@router.get("/videos/{video_id}/thumbnail", tags=["media"])
def video_thumbnail(
    video_id: str,
    t: float | None = Query(None, description="seconds; default a tenth into the video"),
    size: int = Query(320, description="longest side in pixels: 160, 320 or 640"),
    svc: VidseekService = Depends(service),
) -> FileResponse:
    """A JPEG of the frame at ``t`` (evidence thumbnails, library cards)."""
    path = svc.library.thumbnail(video_id, t, size)
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})


@router.get("/search", response_model=SearchResult, tags=["search"])
def search(
    q: str = Query(..., min_length=1, max_length=500, description="what to look for, in words"),
    video_id: str | None = Query(None, description="one video; the whole library when omitted"),
    granularity: Literal["clip", "shot", "scene"] = "clip",
    top_k: int = Query(10, ge=1, le=100),
    svc: VidseekService = Depends(service),
) -> SearchResult:
    """Hybrid search (speech, on-screen text, captions, frames, keywords) over one video or all."""
    return svc.search(q, video_id, granularity, top_k)
