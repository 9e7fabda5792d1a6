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
from trainer.collect import MODES, run_tasks, teacher_policy
from trainer.config import check, option, record
from trainer.corpus import DesignIndex, design_folders
from trainer.progress import StageProgress
from trainer.sample import read_states


@dataclass
class SynthesizeConfig:
    """Parameters of ``synthesize``."""

    states: str = option("trainer-out/sample/states.jsonl", "the sampled states (the sample stage's output)")
    corpus: list[str] = option([], "where the states' designs are (default: the bundled designs)")
    teacher: str = option("builtin", "the refining policy: builtin, random, or a model (FILE.gguf, HF dir, openai:URL)")
    mode: str = option("hybrid", "with a model teacher: hybrid or model")
    adapter: str = option("", "a LoRA adapter for the teacher (the student refining itself)")
    rounds: int = option(3, "refinement rounds per state (LLM4Cov: up to 3)")
    best_of: int = option(2, "candidates per round (LLM4Cov: 2 repeats); >1 is coverage-guided rejection sampling")
    max_tokens: int = option(0, "reply cap for a model teacher (0: the mode's default)")
    threads: int = option(0, "CPU threads for a local model (0: the backend's default)")
    seed: int = option(0, "base seed")
    jobs: int = option(1, "states refined at once")
    executor: str = option("local", "local or ray")
    ray_address: str = option("", "with executor ray: a cluster address (empty: a local Ray instance)")
    timeout_s: float = option(120.0, "wall-clock limit of one testbench run")
    out: str = option("trainer-out/synthesize/runlog.jsonl", "the run log written")

    def __post_init__(self) -> None:
        check(1 <= self.rounds <= 10, "rounds", f"must be in 1..10, got {self.rounds}")
        check(self.best_of >= 1, "best_of", f"must be >= 1, got {self.best_of}")
        check(self.mode in MODES, "mode", f"must be one of {', '.join(MODES)}, got {self.mode!r}")


def synthesize(config: SynthesizeConfig) -> Path:
    """Refine every sampled state with the teacher; returns the run log's path."""
    from pytest_llm4cov.bench import BenchTask

    states = read_states(config.states)
    if not states:
        raise Llm4covError(f"{config.states}: no sampled states; run the sample stage on the student's run logs")
    index = DesignIndex(design_folders(config.corpus, "all"))
    name, options = teacher_policy(
        config.teacher,
        config.mode,
        adapter=config.adapter,
        best_of=config.best_of,
        max_tokens=config.max_tokens,
        threads=config.threads,
    )
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
