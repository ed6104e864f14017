"""`vidseek doctor` reports every local LLM runtime: which one the offline planner uses, which are
fallbacks, and how to install a missing one."""

from __future__ import annotations

from vidseek import doctor
from vidseek.servers import runtimes


def test_doctor_reports_each_runtime(monkeypatch) -> None:
    installed = {"xllamacpp", "transformers", "torch", "gguf", "accelerate"}
    monkeypatch.setattr(
        runtimes, "missing_modules", lambda rt: [m for m in rt.requires if m not in installed]
    )
    checks = {c.name: c for c in doctor.check_llm_server()}
    x = checks["local LLM server: xllamacpp"]
    assert x.ok and x.detail.startswith("used by the offline planner") and not x.how_to_fix
    llama = checks["local LLM server: llama_cpp"]
    assert (
        not llama.ok and "llama-cpp-python" in llama.how_to_fix and "compiles" in llama.how_to_fix
    )
    tf = checks["local LLM server: transformers"]
    assert tf.ok and tf.detail.startswith("fallback")
    assert not any(c.required for c in checks.values())

    installed.clear()
    checks = {c.name: c for c in doctor.check_llm_server()}
    assert not checks["local LLM server"].ok
    assert checks["local LLM server"].how_to_fix == "pip install xllamacpp"


def test_default_threads_follow_the_idle_cores(monkeypatch) -> None:
    from vidseek.servers import llm_server

    monkeypatch.setattr(llm_server.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(llm_server.os, "getloadavg", lambda: (0.1, 0.1, 0.1))
    assert llm_server.default_threads() == 2
    monkeypatch.setattr(llm_server.os, "getloadavg", lambda: (20.0, 20.0, 20.0))
    assert llm_server.default_threads() == 1  # a busy machine: one thread
    monkeypatch.setattr(llm_server.os, "cpu_count", lambda: 16)
    monkeypatch.setattr(llm_server.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert llm_server.default_threads() == llm_server.MAX_THREADS
