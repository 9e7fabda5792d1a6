"""Model policies: render the prompt, ask a language model, parse the reply; one subclass per backend.

``ModelPolicy`` owns everything but the call itself: backends implement ``_complete(messages, sampling)
-> (text, usage)``. ``resolve_model`` maps the user's ``--llm4cov-model`` to a backend (a .gguf file ->
llama-cpp, a directory -> transformers, ``openai:URL`` -> an OpenAI-compatible server). Heavy libraries
are imported inside the backends only, and a missing one names the extra that installs it.
"""

from __future__ import annotations

import importlib
import time
from abc import abstractmethod
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.design import Design
from pytest_llm4cov.policy.base import POLICIES, Policy, Proposal
from pytest_llm4cov.policy.coverage_section import with_coverage_section
from pytest_llm4cov.policy.repetition import FINISH_REPETITION, resume_point
from pytest_llm4cov.prompt import PROMPT_VERSION, Message, Prompt, estimate_tokens, prompt_example, render_prompt
from pytest_llm4cov.repair import Repair, repair_for, verilog_literals_as_python
from pytest_llm4cov.response import ParsedReply, before_the_cut, check_module, parse_reply
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench, module_name_for

EXTRA_HINT = "pip install 'pytest-llm4cov[llm]'"
#: Tokens the chat template adds around the messages (role markers), kept out of the prompt budget.
TEMPLATE_OVERHEAD = 64
#: A reply stopped inside a looping docstring or comment is closed there and continued, this many times at most,
#: while at least ``MIN_RESUME_TOKENS`` of its token limit are left.
MAX_RESUMES = 2
MIN_RESUME_TOKENS = 128


@dataclass(frozen=True)
class Sampling:
    """Decoding settings of one completion. Defaults: LLM4Cov's evaluation decoding (T 0.7, top-p 0.8),
    with Qwen2.5's recommended top-k 20 and repetition penalty 1.05 (without them the 1.5B fell into
    writing the same line until the token limit). The openai:URL backend sends temperature and top-p only."""

    temperature: float = 0.7
    top_p: float = 0.8
    max_tokens: int = 4096
    seed: int = 0
    top_k: int = 20
    repeat_penalty: float = 1.05

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise Llm4covError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise Llm4covError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise Llm4covError(f"max_tokens must be a positive integer, got {self.max_tokens}")
        if self.top_k < 0:
            raise Llm4covError(f"top_k must be >= 0 (0: off), got {self.top_k}")
        if self.repeat_penalty <= 0:
            raise Llm4covError(f"repeat_penalty must be > 0 (1: off), got {self.repeat_penalty}")


@dataclass(frozen=True)
class Usage:
    """What one completion cost, as the backend reports it."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = ""  # "stop", "length" (hit max_tokens), "repetition" (stopped looping), or the backend's own
    cached_tokens: int | None = None  # prompt tokens served from a prefix cache, where the backend knows
    resumed: int = 0  # times the reply looped inside a docstring or comment and was continued past it
    # (with resumes, prompt_tokens and cached_tokens are the first call's; completion_tokens counts every call's)

    @property
    def truncated(self) -> bool:
        """Cut off mid-reply: at the token limit, or stopped while repeating itself (``repetition``)."""
        return self.finish_reason in ("length", FINISH_REPETITION)


def import_optional(module: str, purpose: str) -> Any:
    """Import a backend library, or raise one line naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise Llm4covError(
            f"{purpose} needs the Python package '{module.split('.')[0]}', which is not importable ({exc}): "
            f"{EXTRA_HINT}"
        ) from None


class ModelPolicy(Policy):
    """A language model as the policy: one prompt, one reply, one testbench per proposal.

    Args:
        n_ctx: the context window in tokens; the prompt gets what ``max_tokens`` leaves of it.
        best_of: candidates per step; the loop evaluates each and keeps the best.
    """

    name: ClassVar[str] = "model"
    default_iterations: ClassVar[int] = 4  # LLM4Cov: a first attempt plus 3 refinements

    def __init__(
        self,
        *,
        temperature: float = 0.7,
        top_p: float = 0.8,
        max_tokens: int = 4096,
        n_ctx: int = 16384,
        best_of: int = 1,
        top_k: int = 20,
        repeat_penalty: float = 1.05,
    ) -> None:
        self.sampling = Sampling(temperature, top_p, max_tokens, top_k=top_k, repeat_penalty=repeat_penalty)
        if best_of < 1:
            raise Llm4covError(f"best_of must be a positive integer, got {best_of}")
        if n_ctx <= max_tokens + TEMPLATE_OVERHEAD + 512:
            raise Llm4covError(
                f"a context of {n_ctx} tokens leaves no room for a prompt beside max_tokens={max_tokens}: "
                "raise the context (--llm4cov-n-ctx) or lower --llm4cov-max-tokens"
            )
        self.n_ctx = n_ctx
        self.best_of = best_of

    # -- what backends implement ---------------------------------------------------------------------
    @abstractmethod
    def _complete(self, messages: list[Message], sampling: Sampling, prefix: str = "") -> tuple[str, Usage]:
        """The model's reply to ``messages`` and what it cost. With ``prefix`` (only where
        ``continues_replies``), the reply is taken to begin with it: the text returned is what follows."""

    @property
    def continues_replies(self) -> bool:
        """Can ``_complete`` continue a reply from a given beginning (``prefix``)? Local backends can."""
        return False

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` for the prompt budget; backends with a tokenizer count exactly."""
        return estimate_tokens(text)

    def describe(self) -> dict[str, Any]:
        """Backend-specific settings for the run log (model file, device, ...)."""
        return {}

    # -- the shared part -------------------------------------------------------------------------
    @property
    def prompt_budget(self) -> int:
        return self.n_ctx - self.sampling.max_tokens - TEMPLATE_OVERHEAD

    def settings(self) -> dict[str, Any]:
        sampling = asdict(self.sampling)
        sampling.pop("seed")
        return {
            "backend": self.name,
            **self.describe(),
            **sampling,
            "n_ctx": self.n_ctx,
            "best_of": self.best_of,
            "prompt_version": PROMPT_VERSION,
        }

    def render(self, state: State) -> Prompt:
        return render_prompt(state, budget_tokens=self.prompt_budget, count_tokens=self.count_tokens)

    def complete(self, messages: list[Message], sampling: Sampling) -> tuple[str, Usage, float]:
        """The model's reply, what it cost, and the wall time it took (the hybrid policy calls this).

        A reply the repetition guard stopped inside a docstring or comment goes on from before the loop
        (``repetition.resume_point``) within the same token limit; the usage counts every token generated."""
        started = time.monotonic()
        text, usage = self._complete(messages, sampling)
        while self.continues_replies and usage.finish_reason == FINISH_REPETITION and usage.resumed < MAX_RESUMES:
            prefix = resume_point(text)
            left = sampling.max_tokens - usage.completion_tokens
            if prefix is None or left < MIN_RESUME_TOKENS:
                break
            more, extra = self._complete(messages, replace(sampling, max_tokens=left), prefix=prefix)
            text = prefix + more
            usage = replace(
                usage,
                completion_tokens=usage.completion_tokens + extra.completion_tokens,
                finish_reason=extra.finish_reason,
                resumed=usage.resumed + 1,
            )
        return text, usage, time.monotonic() - started

    def propose(self, state: State, seed: int) -> Proposal:
        prompt = self.render(state)
        sampling = replace(self.sampling, seed=seed)
        text, usage, latency = self.complete(prompt.as_list(), sampling)
        parsed, info = testbench_from_reply(
            state.design, text, truncated=usage.truncated, max_tokens=sampling.max_tokens,
            repeated=usage.finish_reason == FINISH_REPETITION,
        )
        return self._proposal(state, prompt, text, usage, parsed, latency, info)

    def _proposal(
        self,
        state: State,
        prompt: Prompt,
        text: str,
        usage: Usage,
        parsed: ParsedReply,
        latency: float,
        extra: dict[str, Any] | None = None,
    ) -> Proposal:
        module = module_name_for(state.design.top)
        # A rejected reply still becomes the testbench (its code, or the bare reply) so the next step
        # shows the model what it wrote; the loop puts ``parse_error`` into the observation.
        source = parsed.code if parsed.code.strip() else (text or "")[:20_000]
        info: dict[str, Any] = {
            "source": self.name,
            "prompt_version": prompt.version,
            "prompt_tokens_estimate": prompt.tokens,
            "prompt_cuts": list(prompt.cuts),
            "messages": len(prompt.messages),
            "usage": asdict(usage),
            "latency_s": round(latency, 3),
            "extracted": parsed.how,
            "blocks": parsed.blocks,
        }
        if parsed.error is not None:
            info["parse_error"] = parsed.error
        info.update(extra or {})
        return Proposal(Testbench(source, module), raw_text=text or "", info=info)


def testbench_from_reply(
    design: Design, text: str, *, truncated: bool = False, max_tokens: int = 0, repeated: bool = False
) -> tuple[ParsedReply, dict[str, Any]]:
    """A whole-module reply as the loop evaluates it: the code taken from it (of a reply cut off mid-code, the
    complete part before the cut), statically repaired (with the prompt's example for names a copy lost) and
    given the design's functional coverage section, and what the run log keeps of that.
    ``benchmarks/repair_replay.py`` replays logged replies through it."""
    parsed = parse_reply(text, truncated=truncated, max_tokens=max_tokens, repeated=repeated)
    fixed, original = None, parsed
    if parsed.code.strip():
        cut = None
        if truncated and parsed.how == "unclosed":  # stopped mid-code: run the complete part before the cut
            cut = before_the_cut(
                parsed.code, max_tokens=max_tokens, repeated=repeated, rewrite=verilog_literals_as_python
            )
        fixed = repair_for(design, cut[0] if cut else parsed.code, prompt_example(design))
        if cut:
            fixed = replace(fixed, fixes=[cut[1], *fixed.fixes])
        if fixed.fixes:
            # The repaired code is checked again: a fix may be exactly what the check wanted
            # (a missing import); the unrepaired verdict stays in the log for the benchmark.
            parsed = ParsedReply(fixed.source, _recheck(parsed, fixed.source), parsed.how, parsed.blocks)
    info = repair_info(fixed, original) if fixed is not None else {}
    if parsed.error is None:  # the testbench declares the RTL's functional coverage points too
        covered = with_coverage_section(design, parsed.code)
        if covered is not None:
            parsed = replace(parsed, code=covered)
            info["coverage_section"] = True
    return parsed, info


def _recheck(parsed: ParsedReply, repaired: str) -> str | None:
    """The parse verdict on repaired code: the module check again, keeping a truncation's context."""
    problem = check_module(repaired)
    if problem is None or parsed.error is None:
        return problem
    return parsed.error if problem in parsed.error else problem


def repair_info(fixed: Repair, unrepaired: ParsedReply | None = None) -> dict[str, Any]:
    """What the run log keeps of a static repair: the notes (the loop puts them into the observation)
    and, when a fix was applied, the unrepaired code and its verdict, so "clean before repair" can be
    measured by evaluating it (benchmarks/models.py)."""
    info: dict[str, Any] = {"notes": fixed.notes, "repair": {"fixes": fixed.fixes, "findings": fixed.findings}}
    if fixed.fixes and unrepaired is not None:
        info["repair"]["unrepaired"] = unrepaired.code
        info["repair"]["unrepaired_error"] = unrepaired.error
    return info


# -- choosing a backend from --llm4cov-model ---------------------------------------------------------

MODEL_KEYS = ("llama-cpp", "transformers", "openai")


def resolve_model(spec: str) -> tuple[str, dict[str, Any]]:
    """(registry key, constructor options) for a ``--llm4cov-model`` value; 'builtin' -> ('builtin', {}).

    A ``.gguf`` file -> llama-cpp; a directory -> transformers; ``openai:URL`` -> an OpenAI-compatible
    server (vLLM, llama.cpp's server, Ollama).
    """
    text = spec.strip()
    if text in ("", "builtin"):
        return "builtin", {}
    if text.startswith("openai:"):
        url = text[len("openai:"):]
        if not url.startswith(("http://", "https://")):
            raise Llm4covError(f"--llm4cov-model {spec}: expected openai:http://HOST:PORT/v1 (an http(s) URL)")
        return "openai", {"base_url": url}
    path = Path(text).expanduser()
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise Llm4covError(f"{path}: no such GGUF model file")
        return "llama-cpp", {"model_path": str(path)}
    if path.is_dir():
        return "transformers", {"model_dir": str(path)}
    if path.exists():
        raise Llm4covError(
            f"{path}: not a model (give a .gguf file, a Hugging Face model directory, openai:URL or builtin)"
        )
    raise Llm4covError(
        f"--llm4cov-model {spec}: no such file or directory (give a .gguf file, a Hugging Face model "
        "directory, openai:URL or builtin)"
    )


def build_model_policy(
    spec: str,
    *,
    adapter: str | None = None,
    model_name: str | None = None,
    n_ctx: int | None = None,
    threads: int | None = None,
    gpu_layers: int | None = None,
    temperature: float = 0.7,
    top_p: float = 0.8,
    max_tokens: int = 4096,
    best_of: int = 1,
    top_k: int = 20,
    repeat_penalty: float = 1.05,
    request_timeout: float | None = None,
    expect: str | None = None,
    mode: str = "model",
) -> Policy:
    """The policy for a ``--llm4cov-model`` value with the plugin's model options applied.

    Args:
        expect: the backend the user named (``--llm4cov-policy``); a model of another kind is an error.
        mode: what the model will write (``model``: whole testbenches, ``hybrid``: scenarios), which picks
            the shipped adapter trained for it.
    """
    from pytest_llm4cov.policy.base import get_policy

    key, options = resolve_model(spec)
    if expect is not None and key != expect:
        raise Llm4covError(f"--llm4cov-policy {expect} does not match --llm4cov-model {spec} (a {key} model)")
    if key == "builtin":
        return get_policy("builtin")
    common: dict[str, Any] = {
        "temperature": temperature, "top_p": top_p, "max_tokens": max_tokens, "best_of": best_of,
        "top_k": top_k, "repeat_penalty": repeat_penalty,
    }
    if n_ctx is not None:
        common["n_ctx"] = n_ctx
    if adapter is not None and adapter.strip().lower() in ("none", "off"):
        adapter, off = None, True
    else:
        off = False
    if key == "llama-cpp":
        from pytest_llm4cov.adapters import choose_adapter

        # A shipped adapter trained on exactly this GGUF applies by default (pytest_llm4cov/adapters.py).
        chosen, note = (None, "") if off else choose_adapter(options["model_path"], adapter, mode)
        if note and chosen is None:
            import warnings

            from pytest_llm4cov import Llm4covWarning

            warnings.warn(note, Llm4covWarning, stacklevel=2)
        options.update(threads=threads, gpu_layers=gpu_layers or 0, lora_path=chosen)
    elif key == "transformers":
        options.update(adapter_dir=adapter, threads=threads)
    else:
        if adapter:
            raise Llm4covError(f"--llm4cov-adapter {adapter}: an openai:URL server loads its own adapters")
        options.update(model=model_name)
        if request_timeout is not None:
            options["timeout_s"] = request_timeout
    return get_policy(key, **options, **common)


#: --llm4cov-policy values that need a model: the two modes, and (older spelling of "model") the backends.
MODEL_MODES = ("model", "hybrid")


def policy_from_settings(settings: Any) -> Policy:
    """The plugin's policy from ``--llm4cov-policy`` and ``--llm4cov-model``.

    Without a model: builtin (default) or random. With one: hybrid (default: the built-in testbench plus
    model-written scenarios) or model (whole testbenches); naming a backend (llama-cpp, transformers,
    openai) means whole-module mode and checks that the model is of that kind.
    """
    from pytest_llm4cov.policy.base import get_policy

    model = getattr(settings, "model", "builtin") or "builtin"
    policy = settings.policy
    if model == "builtin":
        if policy in MODEL_KEYS or policy in MODEL_MODES:
            raise Llm4covError(
                f"--llm4cov-policy {policy} needs a model: give --llm4cov-model (a .gguf file, a model directory "
                "or openai:URL)"
            )
        return get_policy(policy or "builtin")
    mode = policy or "hybrid"
    if mode not in (*MODEL_MODES, *MODEL_KEYS):
        raise Llm4covError(
            f"--llm4cov-model {model} and --llm4cov-policy {policy} both choose the testbench writer: "
            "with a model, give --llm4cov-policy hybrid (default) or model"
        )
    hybrid = mode == "hybrid"
    from pytest_llm4cov.policy.hybrid import DEFAULT_MAX_TOKENS, HybridPolicy

    max_tokens = settings.max_tokens or (DEFAULT_MAX_TOKENS if hybrid else 4096)
    backend = build_model_policy(
        model,
        adapter=settings.adapter,
        model_name=settings.model_name,
        n_ctx=settings.n_ctx,
        threads=settings.threads,
        gpu_layers=settings.gpu_layers,
        temperature=settings.temperature,
        top_p=settings.top_p,
        top_k=settings.top_k,
        repeat_penalty=settings.repeat_penalty,
        max_tokens=max_tokens,
        best_of=settings.best_of,
        request_timeout=settings.request_timeout,
        expect=mode if mode in MODEL_KEYS else None,
        mode="hybrid" if hybrid else "model",
    )
    if not hybrid:
        return backend
    assert isinstance(backend, ModelPolicy)
    return HybridPolicy(backend, max_tokens=settings.max_tokens)  # none given: a trained adapter's card, or 512


def _model_policy(model: str, **options: Any) -> Policy:
    """``get_policy("model", model=SPEC, ...)``: whole-module mode over the model ``SPEC`` names."""
    return build_model_policy(model, **options)


POLICIES["model"] = _model_policy
