"""``python -m trainer run CONFIG.toml``: the stages as one pipeline, each stage's paths wired to the last.

The file names the student (``base`` for training, ``base_gguf`` for llama-cpp), a root ``out``, the
``stages`` in order, and one table per stage with that stage's config fields. A stage is named by its
kind with an optional number (``curate1``, ``train2``): the progressive recipe is the same kinds again.
Kinds: ``collect`` (the teacher's runs), ``curate``, ``train``, ``export``, ``student`` (a collect run
of the last exported student), ``sample``, ``synthesize`` (teacher ``student`` means the student
refining itself with best-of-k), ``evaluate``. Unless a table sets them, inputs come from the latest
stage that produced them and outputs go to ``out/<stage name>/``; each stage records its config beside
its output, so every file says how it was made.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from pytest_llm4cov import Llm4covError
from trainer.config import from_mapping, read_toml

KINDS = ("collect", "curate", "train", "export", "student", "sample", "synthesize", "evaluate")
TOP_KEYS = ("out", "base", "base_gguf", "stages")


def kind_of(name: str) -> str:
    kind = re.sub(r"\d+$", "", name)
    if kind not in KINDS:
        raise Llm4covError(f"unknown stage '{name}' (stages are {', '.join(KINDS)}, optionally numbered: train1)")
    return kind


def run_pipeline(
    path: str | Path, only: list[str] | None = None, out: str | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Run the stages of the config file in order (``only``: a subset, wired as if the rest had run;
    ``out``: the root output folder instead of the file's; ``dry_run``: check every stage's config, run none)."""
    data = read_toml(path)
    origin = str(path)
    stages = data.get("stages")
    if not isinstance(stages, list) or not stages:
        raise Llm4covError(f'{origin}: stages must list the stages to run, e.g. stages = ["collect", "curate"]')
    for name in stages:
        kind_of(name)  # every name checked before anything runs
    unknown = [k for k in data if k not in TOP_KEYS and k not in stages]
    if unknown:
        raise Llm4covError(
            f"{origin}: '{unknown[0]}' is neither a setting ({', '.join(TOP_KEYS)}) nor a stage listed in stages"
        )
    root = Path(out or str(data.get("out", "trainer-out")))
    ctx: dict[str, Any] = {
        "base": str(data.get("base", "")),
        "base_gguf": str(data.get("base_gguf", "")),
        "dry": dry_run,
    }
    timings: dict[str, float] = {}
    for name in stages:
        kind = kind_of(name)
        table = dict(data.get(name) or {})
        started = time.monotonic()
        run = (only is None or name in only) and not dry_run
        print(f"== trainer: stage {name} ({kind}){'' if run else ' (skipped: wiring only)'}", flush=True)
        _STAGES[kind](name, table, root / name, ctx, f"{origin} [{name}]", run)
        timings[name] = round(time.monotonic() - started, 1)
    print("== trainer: done: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    return ctx


def _gguf(ctx: dict[str, Any], origin: str) -> str:
    if not ctx["base_gguf"]:
        raise Llm4covError(f"{origin}: needs base_gguf (the student's base as GGUF) at the top of the file")
    if ctx["dry"]:
        return str(Path(ctx["base_gguf"]).expanduser())  # a dry run checks configs, not files
    from trainer.export import base_gguf_path

    return base_gguf_path(ctx["base_gguf"])


def _student_adapter(ctx: dict[str, Any], origin: str) -> str:
    """The exported student's adapter: a student stage samples the student, never the bare base by accident
    (collect applies no adapter it is not given)."""
    if not ctx.get("adapter_gguf"):
        raise Llm4covError(
            f"{origin}: samples the student, but no export stage comes before it: add one, or give adapter = "
            "the student's adapter.gguf"
        )
    return str(ctx["adapter_gguf"])


def _collect(name, table, out, ctx, origin, run, *, student: bool = False):
    from trainer.collect import CollectConfig, collect

    table.setdefault("out", str(out / "runlog.jsonl"))
    if student and "teacher" not in table:  # the last exported student, unless the table names a server
        table["teacher"] = _gguf(ctx, origin)
        if "adapter" not in table:
            table["adapter"] = _student_adapter(ctx, origin)
    config = from_mapping(CollectConfig, table, origin)
    if run:
        collect(config)
    if student:
        ctx["student_logs"] = [config.out]
    else:  # consecutive collects (collect, collect1: other corpora, other teachers) are curated together
        ctx["collect_logs"] = [*ctx.get("collect_logs", []), config.out]
        ctx["logs"] = list(ctx["collect_logs"])


def _student(name, table, out, ctx, origin, run):
    _collect(name, table, out, ctx, origin, run, student=True)


def _curate(name, table, out, ctx, origin, run):
    from trainer.curate import CurateConfig, curate

    if "logs" in ctx:
        table.setdefault("runlogs", ctx["logs"])
    table.setdefault("out", str(out / "examples.jsonl"))
    config = from_mapping(CurateConfig, table, origin)
    if run:
        curate(config)
    ctx["examples"] = [config.out]


def _train(name, table, out, ctx, origin, run):
    from trainer.sft import SftConfig, train_sft

    if "examples" in ctx:
        table.setdefault("examples", ctx["examples"])
    table.setdefault("base", ctx["base"])
    if ctx.get("adapter_dir"):
        table.setdefault("init_adapter", ctx["adapter_dir"])
    table.setdefault("out", str(out))
    config = from_mapping(SftConfig, table, origin)
    if run:
        train_sft(config)
    ctx["train_dir"] = config.out
    ctx["adapter_dir"] = "" if config.full_finetune else str(Path(config.out) / "adapter")


def _export(name, table, out, ctx, origin, run):
    from trainer.export import ExportConfig, export_gguf

    if "train_dir" in ctx:
        table.setdefault("train_dir", ctx["train_dir"])
    if ctx["base_gguf"]:
        table.setdefault("base_gguf", ctx["base_gguf"])
    table.setdefault("out", str(out))
    config = from_mapping(ExportConfig, table, origin)
    if run:
        export_gguf(config)
    ctx["adapter_gguf"] = str(Path(config.out) / "adapter.gguf")


def _sample(name, table, out, ctx, origin, run):
    from trainer.sample import SampleConfig, sample_states

    if "student_logs" in ctx:
        table.setdefault("runlogs", ctx["student_logs"])
    table.setdefault("out", str(out / "states.jsonl"))
    config = from_mapping(SampleConfig, table, origin)
    if run:
        sample_states(config)
    ctx["states"] = config.out


def _synthesize(name, table, out, ctx, origin, run):
    from trainer.synthesize import SynthesizeConfig, synthesize

    if "states" in ctx:
        table.setdefault("states", ctx["states"])
    if table.get("teacher") == "student":  # stage 2: the student refines its own worst states, best-of-k
        table["teacher"] = _gguf(ctx, origin)
        if "adapter" not in table:
            table["adapter"] = _student_adapter(ctx, origin)
    table.setdefault("out", str(out / "runlog.jsonl"))
    config = from_mapping(SynthesizeConfig, table, origin)
    if run:
        synthesize(config)
    ctx["logs"] = [config.out]


def _evaluate(name, table, out, ctx, origin, run):
    from trainer.evaluate import EvaluateConfig, evaluate

    if ctx["base_gguf"]:
        table.setdefault("base_gguf", ctx["base_gguf"])
    if ctx.get("adapter_gguf"):
        table.setdefault("adapter", ctx["adapter_gguf"])
    table.setdefault("out", str(out))
    config = from_mapping(EvaluateConfig, table, origin)
    if run:
        evaluate(config)


_STAGES = {
    "collect": _collect,
    "student": _student,
    "curate": _curate,
    "train": _train,
    "export": _export,
    "sample": _sample,
    "synthesize": _synthesize,
    "evaluate": _evaluate,
}
