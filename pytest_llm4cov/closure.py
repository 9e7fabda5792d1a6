"""One design's coverage-closure job: incremental start, the loop, the artifacts, a plain-data result.

The plugin's test item and the benchmark both call ``close_design``; its ``ItemResult`` is plain data
(JSON-ready) so that it crosses xdist workers and lands in report.json unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pytest_llm4cov.artifacts import load_saved, write_coverage_data, write_item
from pytest_llm4cov.coverage import CoveragePoint, CoverageReport, to_lcov
from pytest_llm4cov.design import Design
from pytest_llm4cov.evaluator import Evaluator
from pytest_llm4cov.loop import LoopResult, Step, run_loop
from pytest_llm4cov.policy.base import Policy
from pytest_llm4cov.runlog import RunLogWriter
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench, module_name_for
from pytest_llm4cov.waivers import Waiver, WaivingEvaluator, design_waivers, find_suspects, scoring_evaluator

#: Cap on the points an ItemResult lists per kind (uncovered, waived, suspects): report.json stays small.
MAX_LISTED = 200


@dataclass
class ItemResult:
    design: str
    top: str
    passed: bool
    score: float
    target: float
    metrics: dict[str, dict[str, float]]
    steps: int
    seed: int
    testbench: str  # path of the kept testbench
    outcome: str
    stopped: str
    wall_s: float
    policy: str
    curve: list[float] = field(default_factory=list)
    uncovered: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    error: str = ""
    run_id: str = ""
    split: str | None = None
    hard_for_random: list[str] = field(default_factory=list)
    step_scores: list[float] = field(default_factory=list)  # each step's own score (curve: the best so far)
    waived: list[dict[str, Any]] = field(default_factory=list)  # points left out of the score, with reasons
    unused_waivers: list[dict[str, Any]] = field(default_factory=list)  # waivers that matched no point
    suspects: list[dict[str, Any]] = field(default_factory=list)  # possibly unreachable, for review
    mutation: dict[str, Any] | None = None  # the kept testbench's mutation score (mutation.py), when asked
    functional: dict[str, Any] | None = None  # the best run's cocotb-coverage bins per point (functional.py)
    raw_score: float | None = None  # the score with the proven-unreachable points kept in it
    configuration: str | None = None  # the parameter set's name, for a design with parameter_sets
    parameters: dict[str, Any] = field(default_factory=dict)  # the parameters this item was built with
    # Filled in the controller (merge.py) for a design with parameter_sets: every configuration's figures
    # and the merged coverage of the design (a point counts covered when any configuration covers it).
    configurations: list[dict[str, Any]] = field(default_factory=list)
    merged: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemResult:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def close_design(
    design: Design,
    policy: Policy,
    evaluator: Evaluator,
    *,
    out: Path,
    runlog: RunLogWriter | None,
    iterations: int | None = None,
    seed: int = 0,
    patience: int | None = None,
    incremental: bool = True,
    write: bool = True,
    on_step: Callable[[Step, State], None] | None = None,
    start: Testbench | None = None,
) -> tuple[ItemResult, LoopResult]:
    """Run the loop for one design and keep the best. It starts from ``start`` when given (the trainer's
    synthesis refines a logged state), else from the saved testbench in incremental mode, if any."""
    started = time.monotonic()
    conf = design.configuration.name if design.configuration else None
    saved = load_saved(out, design.name, design.top, conf) if incremental and start is None else None
    if saved:
        start = Testbench(saved.source, module_name_for(design.top))
    budget = iterations or policy.default_iterations
    if start is not None:
        budget += 1  # the saved testbench's evaluation does not eat the policy's steps
    waivers, proven = design_waivers(design)
    evaluator = scoring_evaluator(design, evaluator)  # waivers apply here, before any scoring
    result = run_loop(
        design, policy, evaluator, iterations=budget, seed=seed, patience=patience,
        stop_at_target=start is not None, start=start, log=runlog, on_step=on_step,
    )
    best = result.best
    obs = best.observation
    kept = ""
    note = ""
    waived = evaluator.waived(obs) if isinstance(evaluator, WaivingEvaluator) else ()
    suspects = _suspects(result, design) if obs is not None and obs.coverage is not None else []
    if write and best.testbench is not None and obs is not None:
        lcov = to_lcov(obs.coverage) if obs.coverage is not None else ""
        best_seed = result.steps[best.step].seed if best.step >= 0 else seed
        path, note = write_item(
            out, design.name, design.top,
            testbench=best.testbench.source, sources=list(design.interface.sources),
            parameters=dict(design.config.parameters), seed=best_seed, score=best.score, target=design.target,
            metrics=list(evaluator.metrics) if evaluator.metrics else None, lcov=lcov, saved=saved,
            waivers=[w.to_dict() for w in waivers], configuration=conf,
        )
        kept = str(path)
        if obs.coverage is not None:
            data = _coverage_data(obs.coverage.points, waived, waivers, suspects, set(proven))
            write_coverage_data(out, design.name, design.top, data, conf)
    uncovered = []
    raw_score = None
    if obs is not None and obs.coverage is not None:
        rep = obs.coverage
        raw_score = CoverageReport((*rep.points, *(p for p, w in waived if w in proven))).score()
        uncovered = [
            {"file": p.file, "line": p.line, "type": p.metric, "detail": p.comment, "source": rep.source_line(p)}
            for p in obs.uncovered()[:MAX_LISTED]
        ]
    item = ItemResult(
        design=design.name,
        top=design.top,
        passed=result.passed,
        score=round(best.score, 6),
        target=design.target,
        metrics={m: s.to_dict() for m, s in (obs.metrics.items() if obs else [])},
        steps=len(result.steps),
        seed=result.steps[best.step].seed if obs is not None and best.step >= 0 else seed,
        testbench=kept,
        outcome=obs.outcome.value if obs else "none",
        stopped=result.stopped,
        wall_s=round(time.monotonic() - started, 3),
        policy=policy.name,
        curve=[round(c, 6) for c in result.curve],
        uncovered=uncovered,
        note=note,
        error=obs.error if obs else "",
        run_id=result.run_id,
        split=design.config.split,
        hard_for_random=list(design.config.hard_for_random),
        step_scores=[round(s.observation.score or 0.0, 6) for s in result.steps],
        waived=[{**_point_dict(p), "reason": w.reason} for p, w in waived[:MAX_LISTED]],
        unused_waivers=[
            w.to_dict() for w in waivers if w not in {used for _, used in waived} and w not in proven
        ]
        if obs is not None and obs.coverage is not None else [],
        suspects=suspects,
        functional=obs.functional.to_dict() if obs is not None and obs.functional is not None else None,
        raw_score=round(raw_score, 6) if raw_score is not None else None,
        configuration=conf,
        parameters=dict(design.config.parameters),
    )
    return item, result


def _point_dict(p: CoveragePoint) -> dict[str, Any]:
    return {"file": p.file, "line": p.line, "type": p.metric, "detail": p.comment}


def _coverage_data(
    points: tuple[CoveragePoint, ...],
    waived: tuple[tuple[CoveragePoint, Waiver], ...],
    waivers: tuple[Waiver, ...],
    suspects: list[dict[str, Any]],
    proven: set[Waiver],
) -> dict[str, Any]:
    """coverage.json's content: every point of the best run, the waived ones marked (``unreachable`` when
    the elaboration proved it dead, not a user's waiver), and the RTL text."""
    dead = {id(p) for p, w in waived if w in proven}
    rows = [(p, None) for p in points] + [(p, w.reason) for p, w in waived]
    rows.sort(key=lambda r: (r[0].file, r[0].line, r[0].column, r[0].metric, r[0].comment))
    sources = {}
    for file in sorted({p.file for p, _ in rows}):
        try:
            sources[file] = Path(file).read_text(errors="replace")
        except OSError:
            sources[file] = ""
    return {
        "points": [
            {**_point_dict(p), "column": p.column, "count": p.count, "hierarchy": p.hierarchy,
             "span": list(p.span) if p.span else None, "waived": reason,
             **({"unreachable": True} if id(p) in dead else {})}
            for p, reason in rows
        ],
        "sources": sources,
        "waivers": [w.to_dict() for w in waivers],
        "suspects": suspects,
    }


def _suspects(result: LoopResult, design: Design) -> list[dict[str, Any]]:
    """Points no step covered that look unreachable, plus the points the agent called unreachable."""
    covered: set[tuple] = set()
    flagged: list[dict[str, Any]] = []
    for step in result.steps:
        for obs in [step.observation, *(c.observation for c in getattr(step, "candidates", ()))]:
            if obs.coverage is not None:
                covered.update(p.key for p in obs.coverage.points if p.covered)
        claims = step.proposal.info.get("unreachable") if step.proposal is not None else None
        if isinstance(claims, list):
            flagged.extend(c for c in claims if isinstance(c, dict))
    best = result.best.observation
    never = [p for p in best.coverage.points if p.key not in covered] if best and best.coverage else []
    texts = {}
    for src in design.interface.sources:
        try:
            texts[src] = Path(src).read_text(errors="replace")
        except OSError:
            pass
    return find_suspects(never, texts, flagged=flagged, limit=MAX_LISTED)
