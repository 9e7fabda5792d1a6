"""Every plugin setting declared once: the --llm4cov-* flag, the llm4cov_* ini key, and the Settings field.

Command line beats ini (pytest.ini / pyproject's [tool.pytest.ini_options]) beats the default. Nothing
downstream calls ``config.getoption``: the plugin builds one frozen ``Settings`` in pytest_configure.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

METRIC_CHOICES = ("line", "branch", "expr", "toggle", "fsm_state", "fsm_arc", "functional")
CONTAINMENT_CHOICES = ("strict", "basic")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _fraction(text: str) -> float:
    """A coverage target: 0.9, or a percentage such as 90 or 90%."""
    raw = text.strip().rstrip("%")
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a coverage target like 0.9 or 90%, got {text!r}") from None
    if value > 1.0 or text.strip().endswith("%"):
        value /= 100.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"coverage target must be within 0..1 (or 0..100%), got {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _nonnegative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _nonnegative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = _nonnegative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


def _model(text: str) -> str:
    """builtin, a .gguf file, a model directory or openai:URL; existence is checked when it loads."""
    value = text.strip()
    if not value:
        raise argparse.ArgumentTypeError("expected builtin, a .gguf file, a model directory or openai:URL")
    if value.startswith("openai:") and not value[len("openai:"):].startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"expected openai:http://HOST:PORT/v1, got {text!r}")
    return value


def _containment(text: str) -> str:
    """A sandbox level (sandbox.CONTAINMENT_LEVELS; not imported: the plugin stays stdlib-only)."""
    value = text.strip().lower()
    if value not in CONTAINMENT_CHOICES:
        raise argparse.ArgumentTypeError(f"unknown containment {text!r} (choose from {', '.join(CONTAINMENT_CHOICES)})")
    return value


def _metrics(text: str) -> tuple[str, ...]:
    items = tuple(m.strip() for m in text.replace(" ", ",").split(",") if m.strip())
    for m in items:
        if m not in METRIC_CHOICES:
            raise argparse.ArgumentTypeError(f"unknown metric '{m}' (choose from {', '.join(METRIC_CHOICES)})")
    return items


@dataclass(frozen=True)
class Option:
    """One setting: its flag/ini name (without prefix), type converter, default and help."""

    name: str
    convert: Callable[[str], Any]
    default: Any
    help: str
    metavar: str | None = None

    @property
    def flag(self) -> str:
        return f"--llm4cov-{self.name.replace('_', '-')}"

    @property
    def ini(self) -> str:
        return f"llm4cov_{self.name}"


OPTIONS: tuple[Option, ...] = (
    Option("policy", str, None, "testbench writer: builtin (model-free, the default without a model), random "
           "(baseline), sketch (one whole testbench grown from the prompt's example: whole-module training data), "
           "hybrid (builtin testbench + model-written scenarios, the default with --llm4cov-model) or "
           "model (the model writes whole testbenches)", "NAME"),
    Option("iterations", _positive_int, None, "evaluations per design, first attempt included (policy default)", "N"),
    Option("target", _fraction, None, "coverage target, e.g. 0.9 or 90% (default: the design's, else 100%)", "F"),
    Option("metrics", _metrics, None, "metric types counted in the score (default: all Verilator reports)", "LIST"),
    Option("seed", _int, 0, "base random seed (0)", "N"),
    Option("out", Path, Path("llm4cov-out"), "output directory for testbenches and reports (llm4cov-out)", "DIR"),
    Option("runlog_dir", Path, None, "run-log directory (default: OUT/runs)", "DIR"),
    Option("timeout", _seconds, 120.0, "wall-clock limit of one testbench run, seconds (120)", "S"),
    Option("patience", _positive_int, None, "stop after N steps without gain (default: never)", "N"),
    Option("simulator", str, None, "verilator or icarus (default: the best found)", "NAME"),
    Option("containment", _containment, "strict", "sandbox of testbench runs: strict (default: every layer the "
           "machine allows, see README Security) or basic (scratch dir, scrubbed env, rlimits, watchdog)", "LEVEL"),
    Option("mutants", _positive_int, None, "after closing, run the kept testbench against N one-token RTL "
           "mutants (one build) and report its mutation score and survivors (default: off)", "N"),
    # Model policies (--llm4cov-model other than builtin); see README "Running a real model".
    Option("model", _model, "builtin", "testbench writer model: builtin (default), a .gguf file (llama-cpp), "
           "a Hugging Face model directory (transformers), or openai:URL (an OpenAI-compatible server)", "MODEL"),
    Option("adapter", str, None, "LoRA adapter: a PEFT directory (transformers) or a LoRA .gguf (llama-cpp); "
           "default: the shipped adapter trained on the given GGUF, if any; none: no adapter", "PATH"),
    Option("model_name", str, None, "model name sent to an openai:URL server (default: the first it lists)", "NAME"),
    Option("n_ctx", _positive_int, None, "model context window in tokens (16384)", "N"),
    Option("threads", _positive_int, None, "CPU threads for the model (default: the library's own)", "N"),
    Option("gpu_layers", _int, 0, "llama-cpp layers offloaded to a GPU, -1 for all (0)", "N"),
    Option("temperature", _nonnegative_float, 0.7, "sampling temperature (0.7)", "T"),
    Option("top_p", _probability, 0.8, "nucleus sampling top-p (0.8)", "P"),
    Option("top_k", _nonnegative_int, 20, "top-k sampling, 0 for off (20; llama-cpp and transformers)", "K"),
    Option("repeat_penalty", _positive_float, 1.05, "repetition penalty, 1 for off (1.05; llama-cpp and "
           "transformers)", "F"),
    Option("max_tokens", _positive_int, None, "cap on the tokens of one model reply (4096 whole-module, 512 hybrid or "
           "a trained adapter's own)", "N"),
    Option("best_of", _positive_int, 1, "candidates per step, each evaluated, the best kept (1)", "K"),
    Option("request_timeout", _seconds, 600.0, "limit on one request to an openai:URL server, seconds (600)", "S"),
)


@dataclass(frozen=True)
class Settings:
    policy: str | None = None
    iterations: int | None = None
    target: float | None = None
    metrics: tuple[str, ...] | None = None
    seed: int = 0
    out: Path = Path("llm4cov-out")
    runlog_dir: Path | None = None
    timeout: float = 120.0
    patience: int | None = None
    simulator: str | None = None
    containment: str = "strict"
    mutants: int | None = None
    model: str = "builtin"
    adapter: str | None = None
    model_name: str | None = None
    n_ctx: int | None = None
    threads: int | None = None
    gpu_layers: int = 0
    temperature: float = 0.7
    top_p: float = 0.8
    top_k: int = 20
    repeat_penalty: float = 1.05
    max_tokens: int | None = None
    best_of: int = 1
    request_timeout: float = 600.0

    @property
    def runs(self) -> Path:
        return self.runlog_dir or (self.out / "runs")


def add_options(parser) -> None:
    group = parser.getgroup("llm4cov", "coverage closure for RTL (pytest-llm4cov)")
    group.addoption("--llm4cov", action="store_true", default=False,
                    help="collect .v/.sv designs under the given paths and close their coverage")
    for opt in OPTIONS:
        group.addoption(opt.flag, dest=f"llm4cov_{opt.name}", type=opt.convert, default=None,
                        metavar=opt.metavar, help=opt.help)
        parser.addini(opt.ini, help=opt.help, default=None)


def settings_from(config) -> Settings:
    """Command line, then ini, then defaults; ini values go through the same converters."""
    import pytest

    values: dict[str, Any] = {}
    for opt in OPTIONS:
        value = config.getoption(f"llm4cov_{opt.name}")
        if value is None:
            raw = config.getini(opt.ini)
            if raw not in (None, "", []):
                try:
                    value = opt.convert(str(raw))
                except argparse.ArgumentTypeError as exc:
                    raise pytest.UsageError(f"ini option {opt.ini}: {exc}") from None
        values[opt.name] = opt.default if value is None else value
    if values["out"] is not None:
        values["out"] = Path(values["out"])
    return Settings(**values)
