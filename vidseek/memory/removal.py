"""What ``remove`` takes away: one path of a video, or its whole index.

Indexes are content-addressed, so byte-identical copies share one. Removing a copy must not
take the index of the other copies with it, nor act on a file that was never indexed itself:
``plan_removal`` decides (and says in words) what goes, ``apply_removal`` does it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vidseek.errors import IndexError_, NotIndexedError
from vidseek.memory.store import SegmentStore
from vidseek.memory.store.paths import resolved
from vidseek.memory.video_index import content_id
from vidseek.pathnames import printable


@dataclass(frozen=True)
class Removal:
    """One planned removal: ``path`` alone (the index stays) or the whole index of ``video_id``."""

    video_id: str
    whole_index: bool
    path: Path | None = None  # the path that goes; None when the video was named by its id
    paths: list[Path] = field(default_factory=list)  # every known path before the removal

    @property
    def remaining(self) -> list[Path]:
        if self.whole_index:
            return []
        return [p for p in self.paths if p != self.path]

    def describe(self, done: bool = False) -> str:
        """What goes, in words (``done``: as a report, else as a question)."""
        vid = self.video_id[:12]
        if self.whole_index:
            known = ", ".join(printable(p) for p in self.paths) or "no known path"
            verb = "removed" if done else "remove"
            return f"{verb} the index of {vid} (paths: {known})"
        kept = ", ".join(printable(p) for p in self.remaining)
        shown = printable(self.path or "")
        if done:
            return f"removed {shown} from the index of {vid}; the index stays for {kept}"
        return f"remove {shown} from the index of {vid} (the index stays for {kept})"


def plan_removal(store: SegmentStore, video: str, all_paths: bool = False) -> Removal:
    """The removal ``vidseek remove VIDEO`` means: a known path drops only itself unless it is
    the last one (or ``all_paths``); a video id drops the whole index; an unknown file with the
    content of an indexed video (a copy that was never indexed) is refused unless ``all_paths``."""
    rec = store.find_video(video)
    if rec is not None:
        paths = store.paths(rec.video_id)
        if rec.video_id.startswith(str(video)):  # named by id or id prefix
            return Removal(rec.video_id, True, None, paths)
        path = resolved(video)
        whole = all_paths or all(p == path for p in paths)
        return Removal(rec.video_id, whole, path, paths)
    p = Path(str(video)).expanduser()
    if not p.is_file():
        raise NotIndexedError(
            f"{printable(video)}: neither an indexed video id nor a known path; nothing removed"
            " (list indexed videos with `vidseek info`)"
        )
    vid = content_id(p)
    rec = store.get_video(vid) if vid else None
    if rec is None:
        raise NotIndexedError(f"{printable(p)}: not indexed; nothing removed")
    paths = store.paths(rec.video_id)
    if not all_paths:
        known = ", ".join(printable(q) for q in paths) or "no known path"
        raise IndexError_(
            f"{printable(p)}: not indexed itself, but has the same content as the index of "
            f"{rec.video_id[:12]} (paths: {known}); nothing removed (pass --all-paths to remove "
            "that shared index)"
        )
    return Removal(rec.video_id, True, None, paths)


def apply_removal(store: SegmentStore, removal: Removal) -> None:
    """Do what ``removal`` says."""
    if removal.whole_index:
        store.remove(removal.video_id)
    else:
        store.forget_path(removal.video_id, removal.path or "")
