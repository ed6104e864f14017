"""A failure that is not vidseek's own (an OSError, a UnicodeError) while indexing still ends as
one line that names the file (issue 15: "the message does not name the file")."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

from vidseek.cli import main


@pytest.mark.parametrize(
    "exc",
    [OSError(28, "No space left on device"), UnicodeEncodeError("utf-8", "x", 0, 1, "nope")],
    ids=["oserror", "unicodeerror"],
)
def test_an_unexpected_error_names_the_file(exc, settings, tmp_path: Path, monkeypatch, capsys):
    probe_mod = importlib.import_module("vidseek.media.probe")  # the package re-exports probe()

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(probe_mod, "probe", fail)
    video = tmp_path / os.fsdecode(b"caf\xe9.mp4")
    video.write_bytes(b"\0" * 16)
    try:
        main(["--data-dir", str(settings.data_dir), "index", "--no-progress", str(video)])
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 1 and len(err) == 1, err
    assert err[0].startswith(f"error: {tmp_path}/caf\\xe9.mp4: {type(exc).__name__}: "), err
