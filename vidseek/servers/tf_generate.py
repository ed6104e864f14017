"""The model side of ``vidseek.servers.tf_server``: a GGUF loaded with ``transformers`` that
generates (greedy or sampled, streamed piece by piece) under one lock."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidseek.servers.openai_wire import (
    ChatRequest,
    RequestError,
    cut_at_stop,
    with_json_instruction,
)

log = logging.getLogger("vidseek.tf_server")

DEFAULT_MAX_TOKENS = 2048


@dataclass
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" or "length"


class Generator:
    """The model and tokenizer, with a lock so that one request generates at a time."""

    def __init__(self, model_path: str | Path, n_ctx: int = 8192, n_threads: int | None = None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if n_threads:
            torch.set_num_threads(n_threads)
        path = Path(model_path)
        if not path.is_file():
            raise FileNotFoundError(f"model file {path} does not exist")
        self.n_ctx = n_ctx
        self.lock = threading.Lock()
        t0 = time.monotonic()
        self.tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        self.model = AutoModelForCausalLM.from_pretrained(
            str(path.parent), gguf_file=path.name, dtype=torch.float32
        )
        self.model.eval()
        template = self.tokenizer.chat_template or ""
        self.template_takes_tools = "tools" in template
        log.info("loaded %s in %.1f s", path.name, time.monotonic() - t0)

    def prompt_ids(self, req: ChatRequest) -> Any:
        messages = (
            with_json_instruction(req.messages, req.schema) if req.json_mode else req.messages
        )
        kwargs: dict[str, Any] = {}
        if req.tools and self.template_takes_tools:
            kwargs["tools"] = req.tools
        try:
            enc = self.tokenizer.apply_chat_template(
                messages,
                add_generation_prompt=True,
                return_tensors="pt",
                return_dict=True,
                **kwargs,
            )
        except Exception as exc:  # jinja errors: a message sequence the template refuses
            raise RequestError(f"the chat template refused the messages: {exc}") from exc
        n = int(enc["input_ids"].shape[1])
        if n >= self.n_ctx:
            raise RequestError(
                f"the prompt has {n} tokens, more than the context window of {self.n_ctx}"
            )
        return enc

    def generate(
        self, req: ChatRequest, on_text: Callable[[str], None] | None = None
    ) -> Generation:
        """Generate a reply; ``on_text`` (if given) receives the text as it is produced, already
        cut at stop strings."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        enc = self.prompt_ids(req)
        n_prompt = int(enc["input_ids"].shape[1])
        budget = self.n_ctx - n_prompt
        max_new = min(req.max_tokens or DEFAULT_MAX_TOKENS, budget)
        tokenizer = self.tokenizer
        stops = req.stop

        abort = threading.Event()  # set when a streaming client goes away

        class _StopOnText(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                hit = abort.is_set()
                if stops and not hit:
                    tail = tokenizer.decode(input_ids[0, n_prompt:], skip_special_tokens=True)
                    hit = any(s in tail for s in stops)
                return torch.full((input_ids.shape[0],), hit, dtype=torch.bool)

        gen_kwargs: dict[str, Any] = dict(
            enc,
            max_new_tokens=max_new,
            pad_token_id=(
                tokenizer.pad_token_id
                if tokenizer.pad_token_id is not None
                else tokenizer.eos_token_id
            ),
        )
        if req.temperature == 0:
            gen_kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            gen_kwargs.update(do_sample=True, temperature=req.temperature, top_p=req.top_p)
        if stops or on_text is not None:
            gen_kwargs["stopping_criteria"] = StoppingCriteriaList([_StopOnText()])

        with self.lock:
            if req.seed is not None:
                torch.manual_seed(req.seed)
            if on_text is None:
                with torch.inference_mode():
                    out = self.model.generate(**gen_kwargs)
                new_ids = out[0, n_prompt:]
                text = tokenizer.decode(new_ids, skip_special_tokens=True)
            else:
                streamer = TextIteratorStreamer(
                    tokenizer, skip_prompt=True, skip_special_tokens=True
                )
                result: dict[str, Any] = {}

                def run() -> None:
                    try:
                        with torch.inference_mode():
                            result["out"] = self.model.generate(**gen_kwargs, streamer=streamer)
                    except Exception as exc:  # surfaced below, after the streamer ends
                        result["error"] = exc
                        streamer.end()

                worker = threading.Thread(target=run, daemon=True)
                worker.start()
                try:
                    text = relay_text(streamer, stops, on_text)
                except BaseException:
                    # the client is gone: stop generating, and finish before the lock is released
                    abort.set()
                    for _ in streamer:
                        pass
                    raise
                finally:
                    worker.join()
                if "error" in result:
                    raise result["error"]
                new_ids = result["out"][0, n_prompt:]
                if not stops:
                    text = tokenizer.decode(new_ids, skip_special_tokens=True)
        text, stopped = cut_at_stop(text, stops)
        n_new = int(new_ids.shape[0])
        eos = tokenizer.eos_token_id
        ended = n_new > 0 and eos is not None and int(new_ids[-1]) == eos
        finish = "stop" if stopped or ended or n_new < max_new else "length"
        return Generation(text, n_prompt, n_new, finish)


def relay_text(pieces: Iterator[str], stops: list[str], on_text: Callable[[str], None]) -> str:
    """Pass streamed text on, holding back what could be the start of a stop string; returns all
    the text (uncut; the caller cuts it)."""
    hold = max((len(s) for s in stops), default=1) - 1
    text, sent, stopped = "", 0, False
    for piece in pieces:
        text += piece
        if stopped:
            continue  # drain the streamer so that generate() can finish
        cut, stopped = cut_at_stop(text, stops)
        upto = len(cut) if stopped else max(sent, len(text) - hold)
        if upto > sent:
            on_text(text[sent:upto])
            sent = upto
    if not stopped:
        cut, _ = cut_at_stop(text, stops)
        if len(cut) > sent:
            on_text(cut[sent:])
    return text
