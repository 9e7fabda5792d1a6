"""SFT examples: exactly what the policy sees at inference (the prompt) and the validated reply (the target).

The prompt is rendered from the logged state by the plugin's own inference code (``prompt.render_prompt``
for whole testbenches, ``hybrid_prompt.render_state_prompt`` for scenarios), with the student's
inference settings (``PromptSettings``: context, reply caps, tokenizer), so logs of older prompt
versions stay usable and a training example can never drift from what the model will be shown. The
target is the reply the policy should have written, in the reply contract's form (one fenced python
block), and is dropped if today's reply parser does not give back exactly that code.

File format ``llm4cov.sft/1``: one JSON object per line (see ``Example``), documented in docs/trainer.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.design import Design
from pytest_llm4cov.prompt import Prompt, assistant_turn, estimate_tokens, render_prompt
from pytest_llm4cov.state import State

SCHEMA = "llm4cov.sft/1"
TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class PromptSettings:
    """The student's inference settings that shape its prompts: keep them equal to the plugin's options
    the trained model will run with (``--llm4cov-n-ctx``, ``--llm4cov-max-tokens``)."""

    n_ctx: int = 16384
    max_tokens: int = 4096  # whole-module reply cap (the plugin's default)
    hybrid_max_tokens: int = 512  # hybrid reply cap (hybrid.DEFAULT_MAX_TOKENS)
    hybrid_prompt_tokens: int = 4096  # hybrid prompt cap (hybrid.DEFAULT_PROMPT_TOKENS)
    tokenizer: str = ""  # "" counts like the plugin without a tokenizer; else a HF directory or a GGUF file

    def reply_cap(self, mode: str) -> int:
        return self.hybrid_max_tokens if mode == "hybrid" else self.max_tokens

    def prompt_budget(self, mode: str) -> int:
        from pytest_llm4cov.policy.model import TEMPLATE_OVERHEAD

        whole = self.n_ctx - self.max_tokens - TEMPLATE_OVERHEAD
        if mode == "hybrid":
            return min(self.hybrid_prompt_tokens, self.n_ctx - self.hybrid_max_tokens - TEMPLATE_OVERHEAD)
        return whole


def token_counter(spec: str) -> TokenCounter:
    """Counts as the inference backend does: the model's tokenizer, or the plugin's estimate without one."""
    if not spec:
        return estimate_tokens
    from trainer.sft import load_tokenizer

    tok = load_tokenizer(spec)
    return lambda text: len(tok(text, add_special_tokens=False)["input_ids"])


def render_state(state: State, mode: str, settings: PromptSettings, count: TokenCounter) -> Prompt:
    """The prompt the policy of ``mode`` renders for ``state`` at inference."""
    if mode == "hybrid":
        from pytest_llm4cov.hybrid_prompt import render_state_prompt

        return render_state_prompt(state, budget_tokens=settings.prompt_budget(mode), count_tokens=count)
    return render_prompt(state, budget_tokens=settings.prompt_budget(mode), count_tokens=count)


# -- targets -------------------------------------------------------------------------------------------


def testbench_reply(source: str) -> str | None:
    """A whole testbench as the contract's reply, or None when today's parser would not take it back.
    The functional coverage section the plugin adds is not the model's to write: it is left out, as in
    the prompts."""
    from pytest_llm4cov.functional import without_coverage_section
    from pytest_llm4cov.response import parse_reply

    source = without_coverage_section(source)
    reply = assistant_turn(source)
    parsed = parse_reply(reply)
    if not parsed.ok or parsed.code.strip() != source.strip():
        return None
    return reply


def scenarios_reply(pieces: Iterable[Any]) -> str | None:
    """Scenario pieces as the hybrid reply, or None when today's parser would not give them back as they are."""
    from pytest_llm4cov.scenarios import parse_scenarios

    pieces = list(pieces)
    if not any(p.runs for p in pieces):
        return None
    reply = "```python\n" + "\n\n\n".join(p.source.strip() for p in pieces) + "\n```"
    parsed = parse_scenarios(reply, max_new=len(pieces))
    if parsed.problems or parsed.fixes or [p.name for p in parsed.pieces] != [p.name for p in pieces]:
        return None
    return reply


def new_scenario_pieces(parent_tb: str, child_tb: str, design: Design) -> list[Any]:
    """The pieces a hybrid step added to the parent's section (the RTL constants block excluded)."""
    from pytest_llm4cov.policy.hybrid import rtl_constants
    from pytest_llm4cov.scenarios import constants_block, pieces_of

    old = {p.name for p in pieces_of(parent_tb)} if parent_tb else set()
    # The splice writes the RTL's constants before the pieces; they are the harness's, not the reply's.
    # (Against the child they would all be "taken", so the block is made without a scaffold.)
    consts = {ln.strip() for ln in constants_block(rtl_constants(design), "").splitlines()}
    return [p for p in pieces_of(child_tb) if p.name not in old and (p.runs or p.source.strip() not in consts)]


# -- the example record ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One SFT example: the rendered prompt, the target reply, and where it came from."""

    mode: str  # "model" (whole testbench) or "hybrid" (scenarios)
    design: str
    rtl_hash: str
    messages: list[dict[str, str]]
    target: str
    source: str  # "teacher:<policy>", "expert:<file>", "synthesize:<policy>"
    kind: str  # "start", "fix", "improve", "expert", "clean" (hybrid: ran clean, no gain; opt-in)
    gain: float
    score_before: float
    score_after: float
    prompt_version: str
    prompt_tokens: int
    target_tokens: int
    state: dict[str, Any] = field(default_factory=dict)  # {"run_id", "step"} of the input state, if logged
    split: str | None = None

    @property
    def digest(self) -> str:
        data = json.dumps([self.messages, self.target], sort_keys=True)
        return hashlib.sha256(data.encode()).hexdigest()[:16]

    def to_json(self) -> str:
        return json.dumps({"schema": SCHEMA, **dataclasses.asdict(self)}, separators=(",", ":"))


def write_examples(path: str | os.PathLike[str], examples: Iterable[Example]) -> int:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    n = 0
    with tmp.open("w") as fh:
        for ex in examples:
            fh.write(ex.to_json() + "\n")
            n += 1
    tmp.replace(p)  # a stop mid-write never leaves half a file under the real name
    return n


def read_examples(path: str | os.PathLike[str]) -> Iterator[Example]:
    """Examples of a JSONL file; a line of another schema or a malformed one is an error naming it."""
    p = Path(path)
    try:
        lines = p.read_text().splitlines()
    except OSError as exc:
        raise Llm4covError(f"{p}: cannot read the examples ({exc.strerror}); run the curate stage first") from None
    names = {f.name for f in dataclasses.fields(Example)}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if data.get("schema") != SCHEMA:
                raise ValueError(f"schema {data.get('schema')!r} is not {SCHEMA!r}")
            yield Example(**{k: v for k, v in data.items() if k in names})
        except (ValueError, TypeError, AttributeError) as exc:
            raise Llm4covError(f"{p}:{number}: not an SFT example ({exc}); re-run the curate stage") from None
