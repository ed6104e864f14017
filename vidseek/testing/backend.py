"""The ``test`` model backend: the test planner (``vidseek.testing.planner``) behind a model
reference, so the real CLI, the service and the scenario runner can run without an LLM in tests
(``--planner test:search_speech`` or ``VIDSEEK_MODELS__PLANNER=test:search_speech?log=FILE``).
Registered through the plug-in hook like every backend; it never answers from the video's pixels
or meaning, so it is for tests only."""

from __future__ import annotations

from typing import Any

from vidseek.models.backends import ModelBackend
from vidseek.models.chat_base import ChatCapabilities
from vidseek.plugins import hookimpl


def _load(ref: Any, settings: Any) -> Any:
    from vidseek.testing.planner import load_test_planner

    return load_test_planner(ref, settings)


TEST_BACKEND = ModelBackend(
    "test",
    {"planner": _load},
    chat=ChatCapabilities(tool_calls=True, json_schema=True),
    example="test:search_speech+search_segments",
    summary="a deterministic test planner with no weights (tests only)",
)


@hookimpl
def register_model_backends(register) -> None:
    register(TEST_BACKEND)
