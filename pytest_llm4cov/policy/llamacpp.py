"""LlamaCppPolicy: a GGUF model run locally by llama-cpp-python (CPU, or GPU layers where built for it).

The chat template comes from the GGUF's own metadata (``tokenizer.chat_template``). One ``Llama`` stays
loaded for the session; llama-cpp keeps the last prompt in its KV cache and re-evaluates only what
differs, and the prompt renderer keeps system + task identical across the steps of a design, so every
step after the first pays only for the testbench and the feedback.
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

GGUF_MAGIC = b"GGUF"


def check_gguf(path: Path) -> None:
    """Fail with one line naming the file when it is missing or is no GGUF file at all."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise Llm4covError(f"{path}: cannot read the GGUF model ({exc.strerror or exc})") from None
    if len(head) < 8 or head[:4] != GGUF_MAGIC:
        raise Llm4covError(f"{path}: not a GGUF model file (it does not start with the GGUF magic bytes)")


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@register("llama-cpp")
class LlamaCppPolicy(ModelPolicy):
    """Args:
    model_path: the .gguf file.
    threads: CPU threads (default: half the cores this process may use, as llama-cpp-python chooses:
        llama.cpp's threads spin while they wait, so more threads than physical cores, or a machine
        busy with other jobs, can slow generation several times over).
    gpu_layers: layers offloaded to a GPU (-1: all); needs a llama-cpp-python built with CUDA/Metal.
    lora_path: a LoRA adapter converted to GGUF (convert_lora_to_gguf.py), applied without merging.
    """

    name: ClassVar[str] = "llama-cpp"

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        threads: int | None = None,
        gpu_layers: int = 0,
        lora_path: str | os.PathLike[str] | None = None,
        n_batch: int = 512,
        verbose: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.model_path = Path(model_path)
        self.lora_path = Path(lora_path) if lora_path else None
        self.threads = threads or max(1, available_cores() // 2)
        self.gpu_layers = gpu_layers
        check_gguf(self.model_path)
        if self.lora_path is not None:
            check_gguf(self.lora_path)
        llama_cpp = import_optional("llama_cpp", "the llama-cpp model policy (a .gguf model)")
        self.library_version = getattr(llama_cpp, "__version__", "?")
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                n_threads=self.threads,
                n_threads_batch=self.threads,
                n_gpu_layers=gpu_layers,
                n_batch=n_batch,
                lora_path=str(self.lora_path) if self.lora_path else None,
                verbose=verbose,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            what = f"{self.model_path}" + (f" with adapter {self.lora_path}" if self.lora_path else "")
            raise Llm4covError(
                f"{what}: llama.cpp could not load this GGUF model (a truncated or corrupt file, a vocab-only "
                f"file, or an architecture llama-cpp-python {self.library_version} does not know): {exc}"
            ) from None
        meta = getattr(self.llm, "metadata", {}) or {}
        self.has_chat_template = "tokenizer.chat_template" in meta
        self.architecture = meta.get("general.architecture", "?")

    def describe(self) -> dict[str, Any]:
        return {
            "model": str(self.model_path),
            "adapter": str(self.lora_path) if self.lora_path else None,
            "architecture": self.architecture,
            "chat_format": getattr(self.llm, "chat_format", None),
            "chat_template_from_gguf": self.has_chat_template,
            "threads": self.threads,
            "gpu_layers": self.gpu_layers,
            "llama_cpp_python": self.library_version,
        }

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8", errors="replace"), add_bos=False, special=True))

    @property
    def continues_replies(self) -> bool:
        # The continuation renders the GGUF's own template, as llama-cpp does when it picked no built-in format.
        return self.has_chat_template and getattr(self.llm, "chat_format", None) == "chat_template.default"

    def _complete(self, messages: list[Message], sampling: Sampling, prefix: str = "") -> tuple[str, Usage]:
        """Streamed, so a reply that falls into repeating itself is stopped there (``repetition``), not at
        ``max_tokens``; the tokens sampled are the same as without streaming."""
        before = self._cached_ids()
        guard = RepetitionGuard()
        pieces: list[str] = []
        finish = ""
        decoding = {
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "top_k": sampling.top_k,
            "repeat_penalty": sampling.repeat_penalty,
            "max_tokens": sampling.max_tokens,
            "seed": sampling.seed,
            "stream": True,
        }
        try:
            if prefix:
                stream = self._continuation(messages, prefix, decoding)
            else:
                stream = self.llm.create_chat_completion(messages=messages, **decoding)
            try:
                for chunk in stream:
                    choice = chunk["choices"][0]
                    delta = choice.get("delta")  # a chat chunk; a plain completion's (a continuation) has "text"
                    piece = ((delta or {}).get("content") if "delta" in choice else choice.get("text")) or ""
                    pieces.append(piece)
                    finish = choice.get("finish_reason") or finish
                    if piece and guard.feed(piece):
                        finish = FINISH_REPETITION
                        break
            finally:
                stream.close()  # stops generation where the loop left it
        except (ValueError, RuntimeError) as exc:  # e.g. a prompt beyond n_ctx, a failed decode
            raise Llm4covError(f"{self.model_path}: llama.cpp could not complete the prompt: {exc}") from None
        text = "".join(pieces)
        after = self._cached_ids() or []
        completion = self.count_tokens(text) if text else 0
        # The stream reports no usage: the context holds the prompt, then the reply (its last token unevaluated).
        prompt_tokens = max(0, len(after) - max(0, completion - 1)) if after else 0
        if prefix:  # the prefix was evaluated as prompt, but it is the reply's
            prompt_tokens = max(0, prompt_tokens - self.count_tokens(prefix))
        cached = _common_prefix(before, after[:prompt_tokens]) if before is not None else None
        return text, Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion,
            finish_reason=finish,
            cached_tokens=cached,
        )

    def _continuation(self, messages: list[Message], prefix: str, decoding: dict[str, Any]) -> Any:
        """A streamed completion of the assistant's reply begun as ``prefix``."""
        tokens, stop, stopping_criteria = self._chat_tokens(messages, prefix)
        return self.llm.create_completion(prompt=tokens, stop=stop, stopping_criteria=stopping_criteria, **decoding)

    def _chat_tokens(self, messages: list[Message], prefix: str = "") -> tuple[list[int], Any, Any]:
        """The chat as ``create_chat_completion`` renders and tokenizes it (the GGUF's own template), with the
        assistant's reply begun as ``prefix``; and the stop strings and criteria that go with the template."""
        chat_format = import_optional("llama_cpp.llama_chat_format", "continuing a reply")
        eos, bos = self.llm.token_eos(), self.llm.token_bos()
        formatter = chat_format.Jinja2ChatFormatter(
            template=self.llm.metadata["tokenizer.chat_template"],
            eos_token=self.llm.detokenize([eos], special=True).decode("utf-8", "replace") if eos != -1 else "",
            bos_token=self.llm.detokenize([bos], special=True).decode("utf-8", "replace") if bos != -1 else "",
            stop_token_ids=[eos],
        )
        rendered = formatter(messages=messages)
        tokens = self.llm.tokenize(
            (rendered.prompt + prefix).encode("utf-8"), add_bos=not rendered.added_special, special=True
        )
        return tokens, rendered.stop, rendered.stopping_criteria

    def _cached_ids(self) -> list[int] | None:
        """The tokens now in the KV cache (llama-cpp's private ``_input_ids``; None if it moved)."""
        ids = getattr(self.llm, "_input_ids", None)
        try:
            return [int(t) for t in ids] if ids is not None else None
        except TypeError:
            return None

    def reset_cache(self) -> None:
        """Forget the KV cache, so the next prompt is evaluated whole (the benchmark's cold case)."""
        self.llm.reset()

    def close(self) -> None:
        llm = getattr(self, "llm", None)
        if llm is not None and hasattr(llm, "close"):
            llm.close()
        self.llm = None


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
