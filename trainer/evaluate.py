"""Stage ``evaluate``: the trained student side by side with its controls, same designs, budget and seed.

Rows: ``builtin`` (the model-free default), ``control`` (the hybrid harness with a do-nothing scenario:
what the harness adds without any model), ``example`` (whole-module mode's do-nothing control: the prompt's
example as it is shown), ``sketch`` (the example grown, whole-module mode's teacher), and per mode
(``hybrid``, ``model``) ``base`` (the untrained base GGUF), ``trained`` (the base plus the exported adapter)
and ``teacher``. Every row runs the loop
in this process (one model load per row) on the eval split by default, with LLM4Cov's budget (a first
attempt + 3 refinements) and writes OUT/<row>.json after each design (``resume`` skips those done)
and the run log OUT/runs/<row>.jsonl.

Per design: score, pass, model steps, the share of model steps that ran clean after and before static
repair, tokens, wall time. "Clean": whole-module, the testbench passed and parsed; hybrid, the model's
new scenarios were extracted and each ran without raising (the scaffold passing is not enough).
"Before repair" evaluates the unrepaired testbench (kept in the run log when a fix was applied).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_llm4cov import Llm4covError
from trainer.config import check, option, record

NAMED_ROWS = ("builtin", "random", "control", "example", "sketch")
MODEL_ROWS = ("base", "trained", "teacher")


@dataclass
class EvaluateConfig:
    """Parameters of ``evaluate``."""

    rows: list[str] = option(["builtin", "control", "base", "trained"], f"from {', '.join(NAMED_ROWS + MODEL_ROWS)}")
    modes: list[str] = option(["hybrid", "model"], "modes of the model rows")
    base_gguf: str = option("", "the student's base GGUF ('tiny': the tiny test model)")
    adapter: str = option("", "the trained GGUF adapter (the export stage's adapter.gguf)")
    teacher: str = option("", "the teacher: FILE.gguf, a HF directory or openai:URL")
    base_model: str = option("", "the base row's model instead of base_gguf (a HF directory, openai:URL)")
    trained_model: str = option(
        "", "the trained row's model instead of base_gguf + adapter (a merged GGUF, openai:URL)"
    )
    corpus: list[str] = option([], "design folders or folders of designs (default: the bundled designs)")
    split: str = option("eval", "the split: eval (default), train or all")
    designs: list[str] = option([], "only these designs")
    iterations: int = option(4, "evaluations per design (LLM4Cov: a first attempt + 3 refinements)")
    seed: int = option(0, "base seed (the same for every row)")
    threads: int = option(0, "CPU threads for llama-cpp (0: its default)")
    max_tokens: int = option(4096, "whole-module reply cap")
    temperature: float = option(
        -1.0, "sampling temperature of the model rows, all alike (negative: the plugin's 0.7; 0: greedy)"
    )
    n_ctx: int = option(16384, "context window of the model rows")
    resume: bool = option(False, "skip designs already in OUT/<row>.json")
    out: str = option("trainer-out/evaluate", "output folder")

    def __post_init__(self) -> None:
        bad = [r for r in self.rows if r not in NAMED_ROWS + MODEL_ROWS]
        check(
            not bad, "rows", f"unknown row {bad[0] if bad else ''!r} (choose from {', '.join(NAMED_ROWS + MODEL_ROWS)})"
        )
        check(
            all(m in ("hybrid", "model") for m in self.modes) and bool(self.modes),
            "modes",
            "must name hybrid and/or model",
        )
        check(self.iterations >= 1, "iterations", f"must be >= 1, got {self.iterations}")


# -- what a model step did -------------------------------------------------------------------------------


def model_called(step: Any) -> bool:
    info = step.proposal.info if step.proposal else {}
    return bool(info.get("model_called", "usage" in info))


def scenarios_ran(obs: Any, new: list[str]) -> bool:
    """A hybrid step's model output ran clean: it had new scenarios and each reported ``ok``."""
    from pytest_llm4cov.observation import Outcome
    from pytest_llm4cov.scenarios import scenario_results

    results = scenario_results(obs.notes)
    return obs.outcome is Outcome.PASSED and bool(new) and all(results.get(n) == "ok" for n in new)


def ran_clean(step: Any) -> bool:
    """Did the model's part of this step run clean (see the module docstring)?"""
    from pytest_llm4cov.observation import Outcome

    info = step.proposal.info if step.proposal else {}
    if info.get("source") == "hybrid":
        return scenarios_ran(step.observation, info.get("new_scenarios") or [])
    return step.observation.outcome is Outcome.PASSED and not info.get("parse_error")


def clean_before_repair(step: Any, design: Any, evaluator: Any, after: bool) -> bool:
    from pytest_llm4cov.observation import Outcome
    from pytest_llm4cov.testbench import Testbench

    info = step.proposal.info if step.proposal else {}
    repair = info.get("repair") or {}
    if not repair.get("fixes"):
        return after  # nothing was changed: the same testbench ran
    if repair.get("unrepaired_error"):
        return False  # rejected before simulation without the repair
    source = repair.get("unrepaired") or ""
    obs = evaluator.evaluate(design.build, Testbench(source, step.testbench.module), seed=step.seed)
    if info.get("source") == "hybrid":
        return scenarios_ran(obs, repair.get("unrepaired_new_scenarios") or [])
    return obs.outcome is Outcome.PASSED  # unrepaired_error is None: the unrepaired code parsed


def summarize(name: str, design: Any, result: Any, evaluator: Any, wall: float) -> dict[str, Any]:
    """One design's figures for a row (the table's cells)."""
    model_steps = [s for s in result.steps if model_called(s)]
    clean_after = [ran_clean(s) for s in model_steps]
    clean_before = [clean_before_repair(s, design, evaluator, a) for s, a in zip(model_steps, clean_after, strict=True)]
    usage = [s.proposal.info.get("usage", {}) for s in model_steps]
    return {
        "design": name,
        "score": round(result.score, 4),
        "passed": result.passed,
        "steps": len(result.steps),
        "model_steps": len(model_steps),
        "clean_after": sum(clean_after),
        "clean_before": sum(clean_before),
        "repair_fired": sum(bool((s.proposal.info.get("repair") or {}).get("fixes")) for s in model_steps),
        "tokens_in": sum(int(u.get("prompt_tokens") or 0) for u in usage),
        "tokens_out": sum(int(u.get("completion_tokens") or 0) for u in usage),
        "truncated": sum(u.get("finish_reason") == "length" for u in usage),
        "looped": sum(u.get("finish_reason") == "repetition" for u in usage),  # stopped repeating itself
        "resumed": sum(bool(u.get("resumed")) for u in usage),  # looped in a docstring or comment, went on past it
        "wall_s": round(wall, 1),
        "curve": [round(x, 4) for x in result.curve],
        "difficulty": design.config.difficulty or "",
    }


# -- running the rows ------------------------------------------------------------------------------------


def row_names(config: EvaluateConfig) -> list[str]:
    names = []
    for row in config.rows:
        names += [row] if row in NAMED_ROWS else [f"{row}-{m}" for m in config.modes]
    return names


def row_policy(row: str, config: EvaluateConfig) -> Any:
    """The policy a row names, built the way the plugin builds it from ``--llm4cov-model``."""
    from pytest_llm4cov.policy import get_policy

    if row in NAMED_ROWS:
        return get_policy(row)
    kind, mode = row.rsplit("-", 1)
    if kind == "teacher":
        if not config.teacher:
            raise Llm4covError("evaluate: row teacher needs teacher = a model (FILE.gguf, a HF directory, openai:URL)")
        model, adapter = config.teacher, "none"
    elif kind == "base" and config.base_model:
        model, adapter = config.base_model, "none"
    elif kind == "trained" and config.trained_model:
        model, adapter = config.trained_model, None
    else:
        if not config.base_gguf:
            raise Llm4covError(f"evaluate: row {kind} needs base_gguf (the student's base GGUF, or 'tiny')")
        from trainer.export import base_gguf_path

        model = base_gguf_path(config.base_gguf)
        adapter = "none"  # the base as it is, even where a shipped adapter was trained on it
        if kind == "trained":
            if not config.adapter or not Path(config.adapter).is_file():
                raise Llm4covError(
                    f"evaluate: row trained needs adapter = the exported adapter.gguf (got {config.adapter!r})"
                )
            adapter = config.adapter
    options: dict[str, Any] = {"model": model, "n_ctx": config.n_ctx}
    options["adapter"] = adapter  # "none": not even a shipped adapter trained on this base
    if config.threads:
        options["threads"] = config.threads
    if mode == "model":
        options["max_tokens"] = config.max_tokens
    if config.temperature >= 0:
        options["temperature"] = config.temperature
    return get_policy(mode, **options)


def run_row(row: str, folders: list[Path], config: EvaluateConfig) -> dict[str, Any]:
    from pytest_llm4cov.design import load_design
    from pytest_llm4cov.evaluator import Evaluator
    from pytest_llm4cov.loop import run_loop
    from pytest_llm4cov.runlog import RunLogWriter
    from pytest_llm4cov.waivers import scoring_evaluator
    from trainer.progress import StageProgress

    out = Path(config.out) / f"{row}.json"
    done: dict[str, dict[str, Any]] = {}
    if config.resume and out.is_file():
        done = {i["design"]: i for i in json.loads(out.read_text())["items"]}
    todo = [f for f in folders if f.name not in done]
    if not todo:
        return json.loads(out.read_text())
    started = time.monotonic()
    policy = row_policy(row, config)
    load_s = time.monotonic() - started
    evaluator = Evaluator()
    log = RunLogWriter(Path(config.out) / "runs" / f"{row}.jsonl")
    progress = StageProgress(f"evaluate {row}", len(todo), unit="designs")
    data: dict[str, Any] = {}
    try:
        for n, folder in enumerate(todo, 1):
            design = load_design(folder)
            t0 = time.monotonic()
            scoring = scoring_evaluator(design, evaluator)  # as the plugin scores it: waivers, unreachable code
            result = run_loop(design, policy, scoring, iterations=config.iterations, seed=config.seed, log=log)
            item = summarize(folder.name, design, result, scoring, time.monotonic() - t0)
            done[folder.name] = item
            progress.update(n, f"{folder.name} {item['score']:.1%} clean {item['clean_after']}/{item['model_steps']}")
            data = {
                "row": row,
                "iterations": config.iterations,
                "seed": config.seed,
                "load_s": round(load_s, 1),
                "settings": policy.settings(),
                "items": [done[k] for k in sorted(done)],
            }
            out.write_text(json.dumps(data, indent=1, default=str) + "\n")
    finally:
        policy.close()
        progress.close()
    return data


def totals(items: list[dict[str, Any]]) -> dict[str, Any]:
    ms = sum(i["model_steps"] for i in items)
    hard = [i for i in items if i.get("difficulty") == "hard"]
    return {
        "designs": len(items),
        "passed": sum(bool(i["passed"]) for i in items),
        "pass_rate": sum(bool(i["passed"]) for i in items) / len(items) if items else 0.0,
        "average": sum(i["score"] for i in items) / len(items) if items else 0.0,
        "hard_average": sum(i["score"] for i in hard) / len(hard) if hard else None,
        "model_steps": ms,
        "clean_after": sum(i["clean_after"] for i in items) / ms if ms else None,
        "clean_before": sum(i["clean_before"] for i in items) / ms if ms else None,
        "tokens_in": sum(i["tokens_in"] for i in items),
        "tokens_out": sum(i["tokens_out"] for i in items),
        "wall_s": round(sum(i["wall_s"] for i in items), 1),
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def render_report(runs: dict[str, dict[str, dict[str, Any]]]) -> str:
    """The per-design table (score, clean after/steps) and the totals, as text."""
    designs = sorted(set().union(*[set(r) for r in runs.values()])) if runs else []
    lines = [f"{'design':20} " + " ".join(f"{r[:16]:>16}" for r in runs)]
    for d in designs:
        cells = []
        for r in runs.values():
            i = r.get(d)
            if i is None:
                cells.append("not run")
            else:
                clean = f" {i['clean_after']}/{i['model_steps']}" if i["model_steps"] else ""
                cells.append(f"{_pct(i['score'])}{clean}")
        lines.append(f"{d:20} " + " ".join(f"{c:>16}" for c in cells))
    lines.append("")
    lines.append(
        f"{'row':16} {'designs':>7} {'pass':>9} {'avg':>7} {'hard avg':>8} {'clean':>14} {'before':>7} "
        f"{'tok in':>8} {'tok out':>8} {'wall s':>7}"
    )
    for row, r in runs.items():
        t = totals(list(r.values()))
        clean = f"{_pct(t['clean_after'])} ({t['model_steps']})" if t["model_steps"] else "-"
        lines.append(
            f"{row:16} {t['designs']:>7} {t['passed']:>4}/{t['designs']:<4} {_pct(t['average']):>7} "
            f"{_pct(t['hard_average']):>8} {clean:>14} {_pct(t['clean_before']):>7} {t['tokens_in']:>8} "
            f"{t['tokens_out']:>8} {t['wall_s']:>7.0f}"
        )
    return "\n".join(lines)


def evaluate(config: EvaluateConfig) -> Path:
    """Run every row; print and write the side-by-side report (OUT/report.json, OUT/report.txt)."""
    from trainer.corpus import design_folders

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    record(config, out, "evaluate")
    folders = design_folders(config.corpus, config.split)
    if config.designs:
        folders = [f for f in folders if f.name in set(config.designs)]
        if not folders:
            raise Llm4covError(f"evaluate: none of {', '.join(config.designs)} in the corpus (split {config.split})")
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    asked = {f.name for f in folders}
    for row in row_names(config):
        data = run_row(row, folders, config)  # with resume, OUT/<row>.json may hold other designs too
        runs[row] = {i["design"]: i for i in data.get("items", []) if i["design"] in asked}
    text = render_report(runs)
    print(text)
    (out / "report.txt").write_text(text + "\n")
    report = {
        "rows": {row: {"totals": totals(list(r.values())), "items": list(r.values())} for row, r in runs.items()},
        "iterations": config.iterations,
        "seed": config.seed,
        "split": config.split,
    }
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    return out / "report.json"
