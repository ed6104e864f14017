"""A test kit for vidseek and its plug-ins: a scripted chat model, a fake index over a small
transcript, fake video info, fake tools of each role, and the switch that keeps unit tests from
reaching a real model.

    from vidseek.testing import ScriptedChatModel, FakeIndex, fake_tools, json_reply, reply, tool_call

    model = ScriptedChatModel([reply(tool_call("search_speech", query="code")),
                               reply(tool_call("finish", answer="3815", confidence=0.9))])
    agent = Agent(settings=settings, index=FakeIndex(), planner=model, tools=fake_tools())

Real model requests: every backend that calls a real model checks ``VIDSEEK_ALLOW_MODEL_REQUESTS``
first (``vidseek.models.chat_base.check_model_requests``) and raises ``ModelRequestBlocked`` when
it is 0. vidseek's own test suite sets it to 0 in ``tests/conftest.py``; a test that needs a real
model (or a real client against a fake server) is marked ``@pytest.mark.allow_model_requests``.
``allow_model_requests(False)`` does the same for a block of code.

A scripted model is for unit tests of the agent loop; it never stands in for a feature.
(``models``: the scripted chat model and the switch; ``index``: the fake video, index and vision
models; ``tools``: a fake tool of each role.)
"""

from __future__ import annotations

from vidseek.models.chat_base import MODEL_REQUESTS_ENV, ModelRequestBlocked
from vidseek.testing.index import (
    TRANSCRIPT,
    FakeFrames,
    FakeHub,
    FakeIndex,
    ScriptedCaptioner,
    ScriptedLooker,
    fake_video_info,
    make_tool_context,
)
from vidseek.testing.models import (
    ScriptedChatModel,
    allow_model_requests,
    answer_by_schema,
    json_reply,
    reply,
    tool_call,
)
from vidseek.testing.tools import FakeLook, FakeOverview, FakeSearch, SlowTool, fake_tools

__all__ = [
    "MODEL_REQUESTS_ENV",
    "TRANSCRIPT",
    "FakeFrames",
    "FakeHub",
    "FakeIndex",
    "FakeLook",
    "FakeOverview",
    "FakeSearch",
    "ModelRequestBlocked",
    "ScriptedCaptioner",
    "ScriptedChatModel",
    "ScriptedLooker",
    "SlowTool",
    "allow_model_requests",
    "answer_by_schema",
    "fake_tools",
    "fake_video_info",
    "json_reply",
    "make_tool_context",
    "reply",
    "tool_call",
]
