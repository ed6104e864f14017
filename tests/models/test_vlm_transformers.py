"""The transformers VLM backend's code path, on a tiny random LLaVA built here (no download):
saved to a folder, loaded through AutoProcessor / AutoModelForImageTextToText, frames become image
tokens, generation runs. Random weights: the test checks plumbing, never the words."""

from __future__ import annotations

import numpy as np
import pytest

from vidseek.config import Settings
from vidseek.errors import ModelMissingError
from vidseek.models.base import VisionLanguageModel, VisualContext
from vidseek.models.loader import load_vision_language_model

WORDS = (
    "a the man gate opens red green frame at s span caption json description found answer".split()
)
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}:{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %} <image>{% else %} {{ c['text'] }}{% endif %}{% endfor %}\n"
    "{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}"
)


@pytest.fixture(scope="module")
def tiny_llava_dir(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
        PreTrainedTokenizerFast,
    )

    specials = ["<unk>", "<s>", "</s>", "<pad>", "<image>"]
    vocab = {tok: i for i, tok in enumerate(specials + WORDS)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
    )
    tokenizer.add_special_tokens({"additional_special_tokens": ["<image>"]})
    image_processor = CLIPImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    )
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=16,
        vision_feature_select_strategy="default",
        image_token="<image>",
        num_additional_image_tokens=1,
        chat_template=CHAT_TEMPLATE,
    )
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(
            image_size=32,
            patch_size=16,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=2,
            projection_dim=32,
        ),
        text_config=LlamaConfig(
            vocab_size=len(vocab),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=2,
            max_position_embeddings=512,
            bos_token_id=1,
            eos_token_id=2,
            pad_token_id=3,
        ),
        image_token_index=vocab["<image>"],
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
    )
    torch.manual_seed(0)
    model = LlavaForConditionalGeneration(config)
    folder = tmp_path_factory.mktemp("tiny-llava")
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


@pytest.mark.slow
def test_code_path_on_tiny_random_llava(tiny_llava_dir, tmp_path, monkeypatch) -> None:
    settings = Settings(data_dir=tmp_path, models={"device": "cpu"})
    vlm = load_vision_language_model(
        f"transformers:{tiny_llava_dir}?max_new_tokens=6&max_frames=2", settings
    )
    assert isinstance(vlm, VisionLanguageModel) and vlm.can_see
    frames = [np.full((48, 64, 3), v, np.uint8) for v in (0, 80, 160, 240)]
    ctx = VisualContext(start_s=0.0, end_s=4.0, frame_times_s=[0.0, 1.0, 2.0, 3.0])
    model, processor, _ = vlm._load()
    captured: dict = {}
    real_generate = model.generate

    def spy(**kwargs):
        captured.update(kwargs)
        return real_generate(**kwargs)

    monkeypatch.setattr(model, "generate", spy)
    reply, tokens = vlm.generate("caption", "the man opens the gate", frames, ctx.frame_times_s)
    assert isinstance(reply, str)
    image_id = processor.tokenizer.convert_tokens_to_ids("<image>")
    # 2 of 4 frames kept (max_frames), each expanded to 4 image tokens (2x2 patches, CLS dropped)
    assert captured["pixel_values"].shape[0] == 2
    assert int((captured["input_ids"] == image_id).sum()) == 8
    prompt_len = captured["input_ids"].shape[1]
    assert prompt_len < tokens <= prompt_len + 6
    assert captured["do_sample"] is False
    cap = vlm.caption_clip(frames, ctx, focus="gate")
    # the tiny vocabulary has no '{': the reply cannot be JSON and is kept as plain text
    assert cap.model == vlm.ref and cap.objects == [] and cap.subjects == []
    look = vlm.inspect(frames, "what opens?", ctx)
    assert look.can_see and look.model == vlm.ref and look.found is False
    assert isinstance(vlm.summarize(["a man"], "short"), str)


def test_missing_model_is_named(tmp_path) -> None:
    vlm = load_vision_language_model(
        "transformers:HuggingFaceTB/SmolVLM2-2.2B-Instruct", Settings(data_dir=tmp_path)
    )
    with pytest.raises(ModelMissingError, match="SmolVLM2-2.2B-Instruct"):
        vlm.generate("x", "y")
