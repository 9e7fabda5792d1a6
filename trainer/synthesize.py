"""Stage ``synthesize``: policy-aware agentic data synthesis (DAgger-style) from the student's sampled states.

Each sampled state (``sample``) is handed to a teacher: a stronger model, or the student itself with
best-of-k (coverage-guided rejection sampling: ``best_of`` candidates per round, every one run, the
best kept). The teacher refines the state for up to ``rounds`` rounds in the same memoryless window
the student sees; the evaluator runs every candidate; everything goes to a run log, which ``curate``
then filters with the same rule as the teacher's own runs (recipe steps 4-6).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pytest_llm4cov import Llm4covError
from trainer.collect import TeacherRun, run_tasks
from trainer.config import check, option, record
from trainer.corpus import DesignIndex, design_folders
from trainer.progress import StageProgress
from trainer.sample import read_states


@dataclass
class SynthesizeConfig(TeacherRun):
    """Parameters of ``synthesize``: the teacher (``collect.TeacherRun``; ``teacher = "student"`` in a
    pipeline is the student itself) refining each sampled state."""

    best_of: int = option(2, "candidates per round (LLM4Cov: 2 repeats); >1 is coverage-guided rejection sampling")
    states: str = option("trainer-out/sample/states.jsonl", "the sampled states (the sample stage's output)")
    corpus: list[str] = option([], "where the states' designs are (default: the bundled designs)")
    rounds: int = option(3, "refinement rounds per state (LLM4Cov: up to 3)")
    seed: int = option(0, "base seed")
    out: str = option("trainer-out/synthesize/runlog.jsonl", "the run log written")

    def __post_init__(self) -> None:
        super().__post_init__()
        check(1 <= self.rounds <= 10, "rounds", f"must be in 1..10, got {self.rounds}")


def synthesize(config: SynthesizeConfig) -> Path:
    """Refine every sampled state with the teacher; returns the run log's path."""
    from pytest_llm4cov.bench import BenchTask

    states = read_states(config.states)
    if not states:
        raise Llm4covError(f"{config.states}: no sampled states; run the sample stage on the student's run logs")
    index = DesignIndex(design_folders(config.corpus, "all"))
    name, options = config.policy()
    if name in ("builtin", "random"):
        options = {}  # generators propose one testbench per step: best-of-k is a model's
    out = Path(config.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    record(config, out, "synthesize")
    tasks = []
    skipped = 0
    for n, (_role, r) in enumerate(states):
        design = index.get(r.design, r.rtl_hash)
        if design is None:
            skipped += 1
            continue
        tasks.append(
            BenchTask(
                str(design.folder),
                name,
                config.rounds,
                config.seed * 1000 + n,
                config.timeout_s,
                str(out),
                options,
                start=r.testbench,
            )
        )
    if skipped:
        print(f"synthesize: {skipped} states skipped (design not in the corpus, or its RTL changed)")
    progress = StageProgress("synthesize", len(tasks), unit="states")

    def finished(task, item, n):
        progress.update(n, f"{Path(task.folder).name}: best {item['score']:.1%}")

    run_tasks(tasks, config.jobs, config.executor, config.ray_address, finished)
    progress.close()
    return out
