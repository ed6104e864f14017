"""The built-in tools, each with a role (see vidseek.tools.base). They register through the same pluggy hook as any
plug-in, so nothing about them is special."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vidseek.tools.builtin.finish import Finish
from vidseek.tools.builtin.look import CaptionRange, InspectFrames, Zoom
from vidseek.tools.builtin.objects import CountObjects, FindObjects
from vidseek.tools.builtin.overview import VideoOverview
from vidseek.tools.builtin.relations import CountOccurrences, FindAround, OrderEvents
from vidseek.tools.builtin.search import SearchScreenText, SearchSegments, SearchSpeech
from vidseek.tools.builtin.shots import ListShots, SplitShot
from vidseek.tools.hookspecs import hookimpl

BUILTIN_TOOLS = (
    VideoOverview,
    SearchSegments,
    InspectFrames,
    Zoom,
    CaptionRange,
    FindObjects,
    CountObjects,
    ListShots,
    SplitShot,
    SearchSpeech,
    SearchScreenText,
    CountOccurrences,
    OrderEvents,
    FindAround,
    Finish,
)


@hookimpl
def register_tools(register: Callable[[Any], Any]) -> None:
    for tool_cls in BUILTIN_TOOLS:
        register(tool_cls)
