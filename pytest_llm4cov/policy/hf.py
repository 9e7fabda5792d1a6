"""TransformersPolicy: a Hugging Face checkpoint directory (optionally with a PEFT LoRA adapter) via transformers.

For trained checkpoints before export to GGUF, and for GPUs. The chat template is the tokenizer's own;
a checkpoint without one gets ChatML (Qwen's format), recorded in the run log.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.policy.base import register
from pytest_llm4cov.policy.model import ModelPolicy, Sampling, Usage, import_optional
from pytest_llm4cov.policy.repetition import FINISH_REPETITION, RepetitionGuard
from pytest_llm4cov.prompt import Message

WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin", "*.safetensors.index.json", "pytorch_model.bin.index.json")
ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")
CHATML = (
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def check_model_dir(path: Path) -> None:
    if not path.is_dir():
        raise Llm4covError(f"{path}: no such model directory")
    if not (path / "config.json").is_file():
        raise Llm4covError(f"{path}: not a Hugging Face model directory (no config.json)")
    if not any(any(path.glob(p)) for p in WEIGHT_PATTERNS):
        raise Llm4covError(f"{path}: no model weights (expected model.safetensors or pytorch_model.bin in it)")


def check_adapter_dir(path: Path) -> None:
    if not (path / "adapter_config.json").is_file():
        raise Llm4covError(f"{path}: not a PEFT adapter directory (no adapter_config.json)")
    if not any((path / w).is_file() for w in ADAPTER_WEIGHTS):
        raise Llm4covError(f"{path}: no adapter weights (expected adapter_model.safetensors in it)")


@register("transformers")
class TransformersPolicy(ModelPolicy):
    """Args:
    model_dir: a directory saved with ``save_pretrained`` (config.json, weights, tokenizer).
    adapter_dir: a PEFT adapter directory applied on top (needs peft).
    device: "cpu", "cuda", ... (default: cuda when available).
    threads: torch CPU threads (default: torch's own).
    """

    name: ClassVar[str] = "transformers"

    def __init__(
        self,
        model_dir: str | os.PathLike[str],
        *,
        adapter_dir: str | os.PathLike[str] | None = None,
        device: str | None = None,
        threads: int | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.model_dir = Path(model_dir)
        self.adapter_dir = Path(adapter_dir) if adapter_dir else None
        check_model_dir(self.model_dir)
        if self.adapter_dir is not None:
            check_adapter_dir(self.adapter_dir)
        purpose = "the transformers model policy (a model directory)"
        torch = import_optional("torch", purpose)
        transformers = import_optional("transformers", purpose)
        self.torch = torch
        if threads:
            torch.set_num_threads(threads)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.float32 if self.device == "cpu" else "auto"
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(str(self.model_dir))
            model = transformers.AutoModelForCausalLM.from_pretrained(str(self.model_dir), dtype=dtype)
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise Llm4covError(f"{self.model_dir}: transformers could not load this model: {_one_line(exc)}") from None
        if self.adapter_dir is not None:
            peft = import_optional("peft", "a LoRA adapter directory")
            try:
                model = peft.PeftModel.from_pretrained(model, str(self.adapter_dir))
            except (OSError, ValueError, RuntimeError, KeyError) as exc:
                raise Llm4covError(f"{self.adapter_dir}: peft could not load this adapter: {_one_line(exc)}") from None
        self.model = model.to(self.device).eval()
        self.chat_template_fallback = not getattr(self.tokenizer, "chat_template", None)
        if self.chat_template_fallback:
            self.tokenizer.chat_template = CHATML
        self.library_version = getattr(transformers, "__version__", "?")

    def describe(self) -> dict[str, Any]:
        return {
            "model": str(self.model_dir),
            "adapter": str(self.adapter_dir) if self.adapter_dir else None,
            "device": self.device,
            "chat_template": "chatml-fallback" if self.chat_template_fallback else "tokenizer",
            "transformers": self.library_version,
        }

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    @property
    def continues_replies(self) -> bool:
        return True

    def _complete(self, messages: list[Message], sampling: Sampling, prefix: str = "") -> tuple[str, Usage]:
        torch = self.torch
        text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False) + prefix
        enc = self.tokenizer(text, return_tensors="pt", add_special_tokens=False).to(self.device)
        prompt_len = int(enc["input_ids"].shape[1])
        torch.manual_seed(sampling.seed)
        eos_ids = self._eos_ids()
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else min(eos_ids, default=0)
        kwargs: dict[str, Any] = {"max_new_tokens": sampling.max_tokens, "pad_token_id": pad}
        if sampling.temperature > 0:
            kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k)
        else:
            kwargs.update(do_sample=False)
        if sampling.repeat_penalty != 1.0:
            kwargs["repetition_penalty"] = sampling.repeat_penalty
        guard = RepetitionGuard()
        kwargs["stopping_criteria"] = [_StopOnRepetition(self.tokenizer, prompt_len, guard, torch)]
        try:
            with torch.inference_mode():
                out = self.model.generate(**enc, **kwargs)
        except (RuntimeError, ValueError) as exc:  # out of memory, a prompt beyond the model's positions
            raise Llm4covError(f"{self.model_dir}: generation failed: {_one_line(exc)}") from None
        new = out[0, prompt_len:].tolist()
        stopped = bool(new) and new[-1] in eos_ids
        finish = "length" if len(new) >= sampling.max_tokens and not stopped else "stop"
        finish = FINISH_REPETITION if guard.stopped and not stopped else finish
        reply = self.tokenizer.decode(new, skip_special_tokens=True)
        prompt_tokens = prompt_len - (self.count_tokens(prefix) if prefix else 0)  # the prefix is the reply's
        return reply, Usage(prompt_tokens=prompt_tokens, completion_tokens=len(new), finish_reason=finish)

    def _eos_ids(self) -> set[int]:
        """Every token that ends a reply: the generation config's (chat models list several) and the tokenizer's."""
        ids: set[int] = set()
        for source in (getattr(self.model, "generation_config", None), self.tokenizer):
            value = getattr(source, "eos_token_id", None)
            ids.update(v for v in (value if isinstance(value, (list, tuple)) else [value]) if isinstance(v, int))
        return ids

    def close(self) -> None:
        self.model = None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] + ("..." if len(text) > 300 else "")


class _StopOnRepetition:
    """A transformers stopping criterion: the reply's new tokens go to ``guard``, which says when it loops."""

    def __init__(self, tokenizer: Any, prompt_len: int, guard: RepetitionGuard, torch: Any) -> None:
        self.tokenizer, self.seen, self.guard, self.torch = tokenizer, prompt_len, guard, torch

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        new = input_ids[0, self.seen:].tolist()
        self.seen = int(input_ids.shape[1])
        stop = self.guard.feed(self.tokenizer.decode(new, skip_special_tokens=True)) if new else self.guard.stopped
        return self.torch.full((input_ids.shape[0],), stop, dtype=self.torch.bool, device=input_ids.device)
