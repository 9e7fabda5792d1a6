"""ScriptedPolicy: a model policy that replays recorded replies, for deterministic tests and demos.

Everything but the model is real: the prompt is rendered (and kept, for inspection), the reply is
parsed and checked exactly as a model's would be. Replies are used in order; the last one repeats once
the script runs out. A reply the repetition guard stopped in a docstring or comment (finish reason
"repetition") is continued by the next reply, as a model backend continues it (``ModelPolicy.complete``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.policy.base import register
from pytest_llm4cov.policy.model import ModelPolicy, Sampling, Usage
from pytest_llm4cov.prompt import Message


@register("scripted")
class ScriptedPolicy(ModelPolicy):
    """Args:
    replies: the replies in order, or ``replies_dir``: a folder of reply files taken in name order.
    finish_reasons: per reply, e.g. "length" to replay a reply cut at the token limit (default "stop").
    """

    name: ClassVar[str] = "scripted"

    def __init__(
        self,
        replies: Sequence[str] = (),
        *,
        replies_dir: str | os.PathLike[str] | None = None,
        finish_reasons: Sequence[str] = (),
        **options: Any,
    ) -> None:
        options.setdefault("n_ctx", 32768)
        super().__init__(**options)
        texts = list(replies)
        if replies_dir is not None:
            folder = Path(replies_dir)
            if not folder.is_dir():
                raise Llm4covError(f"{folder}: no such folder of scripted replies")
            texts += [p.read_text() for p in sorted(folder.iterdir()) if p.is_file()]
        if not texts:
            raise Llm4covError("the scripted policy needs at least one reply")
        self.replies = texts
        self.finish_reasons = list(finish_reasons)
        self.prompts: list[list[Message]] = []  # every prompt rendered, in order
        self.seeds: list[int] = []

    def describe(self) -> dict[str, Any]:
        return {"replies": len(self.replies)}

    @property
    def continues_replies(self) -> bool:
        return True

    def _complete(self, messages: list[Message], sampling: Sampling, prefix: str = "") -> tuple[str, Usage]:
        index = min(len(self.prompts), len(self.replies) - 1)
        self.prompts.append(messages)
        self.seeds.append(sampling.seed)
        finish = self.finish_reasons[index] if index < len(self.finish_reasons) else "stop"
        text = self.replies[index]
        return text, Usage(
            prompt_tokens=sum(self.count_tokens(m["content"]) for m in messages),
            completion_tokens=self.count_tokens(text),
            finish_reason=finish,
        )
