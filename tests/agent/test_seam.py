"""The seam between tools and agent: policies choose tools by role and read findings (a plug-in
search tool is used with no other change), the graph is compiled once per Agent and keeps its
shape, findings survive the checkpoint, prompts can be overridden, and real model requests are
refused in unit tests."""

from __future__ import annotations

import importlib
import sqlite3
import sys
import textwrap
from pathlib import Path

import pytest

from vidseek.agent import Agent
from vidseek.agent import agent as agent_module
from vidseek.errors import ConfigError
from vidseek.models.metadata import MetadataCaptioner
from vidseek.testing import (
    FakeHub,
    FakeIndex,
    FakeOverview,
    ModelRequestBlocked,
    ScriptedChatModel,
    allow_model_requests,
    answer_by_schema,
    fake_tools,
)
from vidseek.tools.hookspecs import ENTRY_POINT_GROUP
from vidseek.tools.registry import load_tools

HERE = Path(__file__).parent
SCRIPT = answer_by_schema(
    key_info={"key_info": "the access code", "queries": ["access code"]},
    selected={"selected": [1]},
    answer={"answer": "3815"},
)

PLUGIN = '''
"""A third-party search tool: a site logbook the video does not show."""
from vidseek.tools.base import Tool, ToolArgs, ToolContext, ToolResult
from vidseek.tools.findings import Finding
from vidseek.tools.hookspecs import hookimpl

ENTRIES = [(60.0, 62.0, "Logbook: the code for door 7 is 2468.")]


class Args(ToolArgs):
    query: str
    top_k: int = 3


class SearchLogbook(Tool):
    name = "search_logbook"
    description = "Search the site logbook kept next to the camera (text, with times)."
    role = "search"
    finds = ("other",)
    Args = Args

    def run(self, args, ctx: ToolContext) -> ToolResult:
        words = set(args.query.lower().split())
        hits = [e for e in ENTRIES if words & set(e[2].lower().rstrip(".").split())]
        return ToolResult(
            headline=[f"{len(hits)} logbook entries for '{args.query}':"],
            findings=[Finding(s, e, "other", t, why="logbook entry") for s, e, t in hits],
        )


@hookimpl
def register_tools(register):
    register(SearchLogbook)
'''


@pytest.fixture
def logbook_plugin(tmp_path, monkeypatch):
    """A plug-in package found through its entry point, as pip would install it (no pip here:
    its module and dist-info folder sit on sys.path)."""
    site = tmp_path / "site"
    (site / "acme_logbook-0.1.dist-info").mkdir(parents=True)
    (site / "acme_logbook.py").write_text(PLUGIN)
    (site / "acme_logbook-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-logbook\nVersion: 0.1\n"
    )
    (site / "acme_logbook-0.1.dist-info" / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nacme = acme_logbook\n"
    )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield
    sys.modules.pop("acme_logbook", None)


def test_chain_of_shot_uses_a_plugin_search_tool(settings, logbook_plugin):
    tools = load_tools(settings, include_plugins=True)
    assert tools["search_logbook"].role == "search"
    model = ScriptedChatModel(
        [
            answer_by_schema(
                key_info={"key_info": "the code of door 7", "queries": ["door 7 code"]},
                selected={"selected": [1, 2]},
                answer={"answer": "2468"},
            )
        ],
        repeat_last=True,
    )
    settings.agent.policy = "chain_of_shot"
    agent = Agent(
        settings=settings,
        index=FakeIndex(),
        models=FakeHub(captioner=MetadataCaptioner()),
        planner=model,
        tools=tools,
    )
    ans = agent.ask("What is the code for door 7?")
    searched = {c.name for c in ans.trace.tool_calls if c.arguments.get("query") == "door 7 code"}
    assert searched == {"search_segments", "search_speech", "search_screen_text", "search_logbook"}
    # the logbook's finding reached the answer prompt and grounds the answer word for word
    assert 'other: "Logbook: the code for door 7 is 2468"' in model.prompt_text(-1)
    assert len(model.requests) == 3  # key info, selection, answer: no support question
    assert ans.answer == "2468" and ans.confidence == pytest.approx(0.9)
    assert (ans.evidence[0].start_s, ans.evidence[0].end_s) == (60.0, 62.0)


def test_the_graph_is_compiled_once_and_keeps_its_shape(settings, monkeypatch):
    built = []
    real = agent_module.build_graph
    monkeypatch.setattr(agent_module, "build_graph", lambda *a: built.append(a) or real(*a))
    finish = {"answer": "3815", "evidence": [], "confidence": 0.5}
    from vidseek.testing import reply, tool_call

    model = ScriptedChatModel([reply(tool_call("finish", **finish))], repeat_last=True)
    settings.agent.policy = "dvd"
    agent = Agent(settings=settings, index=FakeIndex(), planner=model, tools=fake_tools())
    graph = agent.graph
    agent.ask("first?")
    agent.ask("second?")
    assert len(built) == 1 and agent.graph is graph
    shape = graph.get_graph().draw_mermaid()
    assert shape == (HERE / "graph.mmd").read_text(), shape


def test_findings_are_in_the_checkpoint(settings):
    model = ScriptedChatModel([SCRIPT], repeat_last=True)
    settings.agent.policy = "chain_of_shot"
    agent = Agent(
        settings=settings,
        index=FakeIndex(),
        planner=model,
        tools=fake_tools(FakeOverview()),
        sessions=True,
    )
    ans = agent.ask("What is the access code?")
    assert ans.answer == "3815"
    state = agent.graph.get_state({"configurable": {"thread_id": agent.thread_id}}).values
    searches = [r for r in state["results"] if r["role"] == "search"]
    assert searches and searches[0]["findings"][0]["kind"] == "speech"
    assert searches[0]["findings"][0]["source"] == "search_speech"
    agent.close()
    rows = sqlite3.connect(settings.data_dir / "sessions.sqlite").execute(
        "SELECT count(*) FROM checkpoints"
    )
    assert rows.fetchone()[0] > 0


def test_a_user_prompt_file_overrides_the_package_prompt(settings):
    folder = settings.data_dir / "prompts"
    folder.mkdir(parents=True)
    (folder / "chain_of_shot.yaml").write_text(
        textwrap.dedent(
            """\
            key_info: |
              HOUSE STYLE. Question: {question}
              Reply as JSON with key_info and queries.
            """
        )
    )
    model = ScriptedChatModel([SCRIPT], repeat_last=True)
    settings.agent.policy = "chain_of_shot"
    agent = Agent(settings=settings, index=FakeIndex(), planner=model, tools=fake_tools())
    agent.ask("What is the access code?")
    assert model.prompt_text(0).startswith("HOUSE STYLE. Question: What is the access code?")
    # the other prompts of the file are the package's
    assert "Reply as JSON" in model.prompt_text(1) and "HOUSE STYLE" not in model.prompt_text(1)


def test_prompt_errors_name_the_file(settings):
    from vidseek.prompts import load_prompt, render

    assert "quoted from the video" in load_prompt("agent.video_text_is_data")
    assert load_prompt("caption_clip") == load_prompt("vision.caption_clip")
    with pytest.raises(ConfigError, match="chain_of_shot.yaml"):
        load_prompt("chain_of_shot.nonsense")
    with pytest.raises(ConfigError, match="cannot be filled"):
        render("chain_of_shot.answer", None, question="q")
    bad = settings.data_dir / "prompts" / "dvd.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text("system: [unclosed\n")
    with pytest.raises(ConfigError, match=r"dvd\.yaml is not valid YAML"):
        load_prompt("dvd.system", settings)


def test_real_model_requests_raise_unless_the_test_opts_in(settings):
    from vidseek.models.chat import load_chat_model
    from vidseek.models.chat_base import check_model_requests

    model = load_chat_model("openai-compatible:http://127.0.0.1:9/v1#nobody", settings)
    with pytest.raises(ModelRequestBlocked, match="allow_model_requests"):
        model.complete([{"role": "user", "content": "hi"}])
    with allow_model_requests():
        check_model_requests("any")  # allowed inside the block
    with pytest.raises(ModelRequestBlocked):
        check_model_requests("any")


@pytest.mark.allow_model_requests
def test_the_marker_opts_in():
    from vidseek.models.chat_base import check_model_requests

    check_model_requests("any")


def test_a_tool_cannot_swallow_a_blocked_request(settings, tmp_path):
    from vidseek.testing import make_tool_context
    from vidseek.tools.base import Tool, ToolArgs, ToolResult

    class CallsAModel(Tool):
        name = "calls_a_model"
        description = "Asks a real model."
        Args = ToolArgs

        def run(self, args, ctx) -> ToolResult:
            from vidseek.models.chat_base import check_model_requests

            check_model_requests("openai:gpt-test")
            return ToolResult(text="never")

    with pytest.raises(ModelRequestBlocked):
        CallsAModel().invoke({}, make_tool_context(tmp_path))
