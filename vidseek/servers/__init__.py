"""Local model servers that vidseek runs as separate processes.

The offline planner talks to an OpenAI-compatible server like any other (one code path, in
``vidseek.models.chat``); this package starts and reuses such a server on the offline GGUF:
``llm_server`` (life cycle, state file, reuse across processes), ``runtimes`` (which server program
runs it: xllamacpp's prebuilt llama.cpp server, llama-cpp-python's, or the transformers fallback),
``xllamacpp_server`` and ``tf_server`` (the programs vidseek ships itself).
"""
