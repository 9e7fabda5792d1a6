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

from pytest_llm4cov.artifacts import load_saved, write_item
from pytest_llm4cov.coverage import to_lcov
from pytest_llm4cov.design import Design
from pytest_llm4cov.evaluator import Evaluator
from pytest_llm4cov.loop import LoopResult, Step, run_loop
from pytest_llm4cov.policy.base import Policy
from pytest_llm4cov.runlog import RunLogWriter
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench, module_name_for


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
) -> tuple[ItemResult, LoopResult]:
    """Run the loop for one design (starting from its saved testbench if any) and keep the best."""
    started = time.monotonic()
    saved = load_saved(out, design.name, design.top) if incremental else None
    start = Testbench(saved.source, module_name_for(design.top)) if saved else None
    budget = iterations or policy.default_iterations
    if start is not None:
        budget += 1  # the saved testbench's evaluation does not eat the policy's steps
    result = run_loop(
        design, policy, evaluator, iterations=budget, seed=seed, patience=patience,
        stop_at_target=start is not None, start=start, log=runlog, on_step=on_step,
    )
    best = result.best
    obs = best.observation
    kept = ""
    note = ""
    if write and best.testbench is not None and obs is not None:
        lcov = to_lcov(obs.coverage) if obs.coverage is not None else ""
        best_seed = result.steps[best.step].seed if best.step >= 0 else seed
        path, note = write_item(
            out, design.name, design.top,
            testbench=best.testbench.source, sources=list(design.interface.sources),
            parameters=dict(design.config.parameters), seed=best_seed, score=best.score, target=design.target,
            metrics=list(evaluator.metrics) if evaluator.metrics else None, lcov=lcov, saved=saved,
        )
        kept = str(path)
    uncovered = []
    if obs is not None and obs.coverage is not None:
        rep = obs.coverage
        uncovered = [
            {"file": p.file, "line": p.line, "type": p.metric, "detail": p.comment, "source": rep.source_line(p)}
            for p in obs.uncovered()[:200]
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
    )
    return item, result
