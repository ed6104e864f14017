"""Bad input gets a clear error and changes nothing: paths that are not indexed, ids with ``../``,
huge and non-video uploads, paths outside the media roots, a missing token off loopback."""

from __future__ import annotations

import os

import pytest


def library_state(service):
    uploads = service.library.uploads_dir
    files = sorted(p.name for p in uploads.iterdir()) if uploads.exists() else []
    return [v.video_id for v in service.list_videos()], len(service.jobs.list()), files


@pytest.fixture
def before(service):
    return library_state(service)


def error_of(r) -> str:
    body = r.json()
    assert set(body) == {"error"} and body["error"] and "\n" not in body["error"]
    return body["error"]


def test_a_path_that_is_not_indexed_is_never_served(client, service, before, tmp_path):
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"not for you")
    unknown = "ab" * 32
    for url in (f"/api/videos/{unknown}/media", f"/api/videos/{unknown}/thumbnail",
                f"/api/videos/{unknown}"):  # fmt: skip
        r = client.get(url)
        assert r.status_code == 404 and unknown in error_of(r)
    r = client.get("/api/search", params={"q": "code", "video_id": unknown})
    assert r.status_code == 404
    r = client.post("/api/ask", json={"video_id": unknown, "question": "What is said?"})
    assert r.status_code == 404
    # a file path in place of an id is refused before any lookup
    r = client.get(f"/api/videos/{str(secret).lstrip('/')}/media")
    assert r.status_code == 404  # no route: a path never reaches the handler
    assert library_state(service) == before


@pytest.mark.parametrize(
    "bad_id", ["..%2F..%2Fetc%2Fpasswd", "%2e%2e", "..", "9315468a%2F..%2F..", "ABCDEF0123456789"]
)
def test_traversal_in_ids_is_refused(client, service, before, bad_id):
    for url in (f"/api/videos/{bad_id}/media", f"/api/videos/{bad_id}/thumbnail",
                f"/api/threads/{bad_id}", f"/api/videos/{bad_id}"):  # fmt: skip
        r = client.get(url)
        assert r.status_code in (400, 404), (url, r.status_code)
        assert b"root:" not in r.content
    r = client.delete("/api/videos/..%2F..")
    assert r.status_code in (400, 404)
    assert library_state(service) == before


def test_thumbnail_arguments_are_checked(client):
    vid = client.get("/api/videos").json()[0]["video_id"]
    assert client.get(f"/api/videos/{vid}/thumbnail", params={"t": "nan"}).status_code == 400
    r = client.get(f"/api/videos/{vid}/thumbnail", params={"size": 4096})
    assert r.status_code == 400 and "160" in error_of(r)


def test_a_non_video_upload_is_refused_and_deleted(client, service, before):
    r = client.post(
        "/api/uploads?filename=talk.mp4", content=b"%PDF-1.4 certainly not a video" * 50
    )
    assert r.status_code == 400
    assert "talk.mp4" in error_of(r)
    r = client.post("/api/uploads?filename=notes.txt", content=b"hello")
    assert r.status_code == 400 and "not a video file name" in error_of(r)
    r = client.post("/api/uploads?filename=empty.mp4", content=b"")
    assert r.status_code == 400 and "empty" in error_of(r)
    assert library_state(service) == before


def test_a_huge_upload_is_refused_while_it_arrives(client, service, before):
    service.settings.serve.max_upload_mb = 1.0

    def chunks():  # no Content-Length: the limit is counted as bytes arrive
        for _ in range(8):
            yield os.urandom(256 * 1024)

    r = client.post("/api/uploads?filename=big.mp4", content=chunks())
    assert r.status_code == 413 and "1 MiB" in error_of(r)
    r = client.post(
        "/api/uploads?filename=big.mp4", content=b"x" * 10, headers={"content-length": str(2**40)}
    )
    assert r.status_code == 413  # refused from the declared size, before reading
    assert library_state(service) == before


def test_upload_names_cannot_leave_the_uploads_folder(client, service, demo_lib, tmp_path):
    _settings, video, _manifest = demo_lib
    r = client.post("/api/uploads?filename=../../../../tmp/evil.mp4", content=video.read_bytes())
    assert r.status_code == 202, r.text
    stored = r.json()["path"]
    assert os.path.dirname(stored) == str(service.library.uploads_dir)
    assert stored.endswith("-evil.mp4") and not os.path.exists("/tmp/evil.mp4")
    job = service.jobs.get(r.json()["job_id"])
    while not job.ended:
        job.wait(len(job.events), 5.0)
    assert job.status == "done"  # the same content as the demo: its index is reused


def test_paths_outside_the_media_roots_are_refused(client, service, demo_lib, before, tmp_path):
    _settings, video, _manifest = demo_lib
    r = client.post("/api/videos", json={"path": "/etc/passwd"})
    assert r.status_code == 400 and "/etc/passwd" in error_of(r)  # loopback, no roots: probed
    r = client.post("/api/videos", json={"path": "relative/video.mp4"})
    assert r.status_code == 400 and "absolute" in error_of(r)
    service.settings.serve.media_roots = [tmp_path / "media"]
    r = client.post("/api/videos", json={"path": str(video)})
    assert r.status_code == 403 and "media root" in error_of(r)
    r = client.post("/api/videos", json={"path": str(tmp_path / "media" / ".." / video.name)})
    assert r.status_code == 403
    assert library_state(service) == before


def test_off_loopback_every_route_but_health_needs_the_token(service):
    from fastapi.testclient import TestClient

    from vidseek.api import create_app
    from vidseek.api.auth import resolve_token
    from vidseek.errors import ConfigError

    with pytest.raises(ConfigError, match="token"):
        create_app(service, host="0.0.0.0", token=None)
    assert resolve_token(service.settings, "127.0.0.1") is None
    token = resolve_token(service.settings, "0.0.0.0")
    assert token and len(token) >= 24
    vid = service.list_videos()[0].video_id
    with TestClient(create_app(service, host="0.0.0.0", token=token)) as c:
        assert c.get("/api/health").status_code == 200
        for url in ("/", "/api/videos", f"/api/videos/{vid}/media", "/api/threads", "/docs",
                    "/openapi.json", "/static/app.js", "/mcp"):  # fmt: skip
            r = c.get(url)
            assert r.status_code == 401, url
            assert "token" in r.json()["error"]
        assert c.get("/api/videos", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.get("/api/videos", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and ok.json()[0]["video_id"] == vid
        # opening the printed URL keeps the token in a cookie: the player needs no header
        r = c.get(f"/?token={token}", follow_redirects=False)
        assert r.status_code == 303 and "HttpOnly" in r.headers["set-cookie"]
        assert c.get("/").status_code == 200
        media = c.get(f"/api/videos/{vid}/media", headers={"Range": "bytes=0-9"})
        assert media.status_code == 206
    with TestClient(create_app(service, host="0.0.0.0", token=token)) as fresh:
        bad = fresh.post("/api/videos", headers={"Authorization": f"Bearer {token}"},
                         json={"path": "/etc/passwd"})  # fmt: skip
        assert bad.status_code in (400, 403)
