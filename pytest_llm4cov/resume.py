"""Resume an interrupted run from its run log: the best state so far, the steps done, and the rest.

The run log is the whole memory of a run (one record per evaluated testbench), so a run killed at any
point can go on: ``resume_point`` rebuilds the best state (best by ``observation.rank_key``, the one
ordering, applied to observations rebuilt from the records) and counts the steps done;
``resume_run`` lets ``run_loop`` spend the remaining budget starting from that best testbench and
appends to the same log under a new run id.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.design import Design
from pytest_llm4cov.observation import Observation, rank_key
from pytest_llm4cov.runlog import RunRecord, read_runlog
from pytest_llm4cov.testbench import Testbench, module_name_for


@dataclass(frozen=True)
class ResumePoint:
    """Where an interrupted run stands, from its log."""

    runlog: Path
    run_id: str
    steps_done: int  # distinct loop steps logged (a best-of-k step logs k records)
    base_seed: int  # the seed the run was started with
    policy: dict[str, Any]
    best_step: int | None
    best_testbench: Testbench | None
    best_observation: Observation | None  # rebuilt from the record: exact for ranking, not a full report

    @property
    def best_score(self) -> float:
        return (self.best_observation.score or 0.0) if self.best_observation is not None else 0.0

    @property
    def closed(self) -> bool:
        """The best testbench already ran clean at full coverage: nothing is left to do."""
        obs = self.best_observation
        return obs is not None and obs.passed and obs.has_coverage and self.best_score >= 1.0 - 1e-9


def ranking_observation(data: dict[str, Any], origin: str = "run log") -> Observation:
    """An ``Observation`` rebuilt from a record's ``observation`` dict (``Observation.from_dict``): exact for
    ranking and scoring, and for the next prompt as far as the record listed its uncovered points."""
    try:
        return Observation.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Llm4covError(f"{origin}: malformed observation in the run log ({exc}); it cannot be resumed") from None


def resume_point(runlog: str | os.PathLike[str], design: Design, run_id: str | None = None) -> ResumePoint:
    """The best state and the steps done of ``design``'s run in ``runlog`` (its last run by default).

    Raises:
        Llm4covError: no record of the design (or of ``run_id``), records made on other RTL, or a
            malformed log (see ``read_runlog``).
    """
    path = Path(runlog)
    records = [r for r in read_runlog(path) if r.design == design.name and r.top == design.top]
    if not records:
        raise Llm4covError(
            f"{path}: no record of design '{design.name}' (top {design.top}) to resume; run it afresh"
        )
    run_id = run_id or records[-1].run_id
    mine = [r for r in records if r.run_id == run_id]
    if not mine:
        raise Llm4covError(f"{path}: no run '{run_id}' of design '{design.name}' (runs: {_runs(records)})")
    digest = design.build.rtl_digest()
    if any(r.rtl_hash != digest for r in mine):
        raise Llm4covError(
            f"{path}: run {run_id} was made on other RTL than {design.folder} has now (its coverage no longer "
            "applies); start a new run"
        )
    target = design.target
    ranked = [
        (rank_key(ranking_observation(r.observation, f"{path} step {r.step}"), target), i) for i, r in enumerate(mine)
    ]
    # The first of equals, as the loop keeps its earliest best.
    _key, best_index = max(ranked, key=lambda pair: (pair[0], -pair[1]))
    best: RunRecord = mine[best_index]
    first = min(mine, key=lambda r: r.step)
    return ResumePoint(
        runlog=path,
        run_id=run_id,
        steps_done=len({r.step for r in mine}),
        base_seed=first.seed // 1000,
        policy=dict(best.policy),
        best_step=best.step,
        best_testbench=Testbench(best.testbench, module_name_for(design.top)) if best.testbench.strip() else None,
        best_observation=ranking_observation(best.observation, f"{path} step {best.step}"),
    )


#: The decoding settings a resumed model run takes from its log, so that it goes on as it was started.
LOGGED_SAMPLING = ("temperature", "top_p", "top_k", "repeat_penalty", "max_tokens", "best_of")


def resumed_policy(point: ResumePoint, model: str | None = None, name: str | None = None):
    """The policy that goes on with ``point``'s run: ``name`` (default the logged policy's), over ``model``
    (a ``--llm4cov-model`` value) when given.

    A model run goes on with the logged decoding settings (``LOGGED_SAMPLING``) where the policy is the
    logged one; a hybrid run without them gets the hybrid defaults (``hybrid_policy``), never the 4,096-token
    reply of a whole-testbench model.

    Raises:
        Llm4covError: the logged run used a model and none is given.
    """
    from pytest_llm4cov.policy.base import get_policy
    from pytest_llm4cov.policy.hybrid import DEFAULT_MAX_TOKENS, HybridPolicy
    from pytest_llm4cov.policy.model import MODEL_KEYS, ModelPolicy, build_model_policy

    logged = str(point.policy.get("name", "builtin"))
    name = name or logged
    if model is None:
        if name in (*MODEL_KEYS, "hybrid"):
            raise Llm4covError(f"{point.runlog}: run {point.run_id} used the {name} policy; give --model to resume it")
        return get_policy(name)
    settings = point.policy.get("settings") or {}
    options = {k: settings[k] for k in LOGGED_SAMPLING if k in settings} if name == logged else {}
    if name != "hybrid":
        return build_model_policy(model, mode="model", **options)
    backend = build_model_policy(model, mode="hybrid", **{"max_tokens": DEFAULT_MAX_TOKENS, **options})
    # No logged cap: the adapter card's, else the backend's (HybridPolicy's own order).
    return HybridPolicy(backend, max_tokens=options.get("max_tokens")) if isinstance(backend, ModelPolicy) else backend


def _runs(records: list[RunRecord]) -> str:
    return ", ".join(dict.fromkeys(r.run_id for r in records))


def resume_run(
    runlog: str | os.PathLike[str],
    design: Design,
    policy,
    evaluator,
    *,
    iterations: int | None = None,
    seed: int | None = None,
    patience: int | None = None,
    run_id: str | None = None,
):
    """Spend what is left of the interrupted run's budget; returns (ResumePoint, LoopResult or None).

    ``iterations`` is the whole run's budget (default the policy's), of which the logged steps are
    spent. The loop starts from the best logged testbench, re-evaluating it first (that evaluation is
    not charged to the budget, as in incremental mode), and appends its records to the same log under
    a new run id. ``seed`` defaults to the run's own seed + 1, so the continued run does not repeat
    the proposals of the interrupted one. None instead of a LoopResult: nothing was left to do.
    """
    from pytest_llm4cov.loop import run_loop
    from pytest_llm4cov.runlog import RunLogWriter
    from pytest_llm4cov.waivers import scoring_evaluator

    point = resume_point(runlog, design, run_id)
    budget = iterations or policy.default_iterations
    remaining = budget - point.steps_done
    if remaining <= 0 or point.closed:
        return point, None
    start = point.best_testbench
    result = run_loop(
        design, policy, scoring_evaluator(design, evaluator),
        iterations=remaining + (1 if start is not None else 0),
        seed=point.base_seed + 1 if seed is None else seed,
        patience=patience,
        start=start,
        log=RunLogWriter(point.runlog),
    )
    return point, result
