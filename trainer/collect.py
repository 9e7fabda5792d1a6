"""Stage ``collect``: run a teacher policy with the agent loop over a corpus and write run logs.

The teacher is any policy the plugin runs: the built-in policy (CI, and the data a model-free start
gives), ``random``, or a model (a GGUF file, a Hugging Face directory, an OpenAI-compatible server)
in hybrid or whole-module mode. One task per (design, seed): the local process pool by default, Ray
when asked (``executor = "ray"``, a local instance or ``ray_address``). Every step goes to one run
log (appends are atomic across processes); a manifest of finished (design, seed) tasks beside it lets
a stopped collection resume where it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_llm4cov import Llm4covError
from trainer.config import check, option, record
from trainer.corpus import design_folders
from trainer.progress import StageProgress

MODES = ("hybrid", "model")
NAMED_POLICIES = ("builtin", "random", "control", "sketch")


@dataclass
class TeacherRun:
    """The policy that runs the loop and how its runs are scheduled: shared by ``collect`` and
    ``synthesize``. ``teacher``: builtin, random, control, sketch (whole testbenches grown from the prompt's
    example, ``policy/sketch.py``), or a model (``--llm4cov-model`` syntax); with a
    model, ``mode`` chooses hybrid scenarios or whole testbenches."""

    teacher: str = option(
        "builtin", "builtin, random, control, sketch (whole testbenches), or a model: FILE.gguf, a HF directory, "
        "openai:URL"
    )
    mode: str = option("hybrid", "with a model teacher: hybrid (scenarios) or model (whole testbenches)")
    adapter: str = option(
        "", "a LoRA adapter for the teacher model (GGUF for llama-cpp, PEFT dir for transformers; none given: none, "
        "not even a shipped adapter trained on that model)"
    )
    best_of: int = option(1, "candidates per step for a model teacher (best-of-k, every candidate logged)")
    max_tokens: int = option(0, "reply cap for a model teacher (0: the mode's default)")
    temperature: float = option(
        0.0, "sampling temperature of a model teacher (0 is not greedy: it means the plugin's 0.7); higher gives "
        "best-of-k more to choose from"
    )
    threads: int = option(0, "CPU threads for a local model (0: the backend's default)")
    jobs: int = option(1, "loop runs at once (local process pool or Ray tasks)")
    executor: str = option("local", "local (a process pool) or ray")
    ray_address: str = option("", "with executor ray: a cluster address (empty: a local Ray instance)")
    timeout_s: float = option(120.0, "wall-clock limit of one testbench run")

    def __post_init__(self) -> None:
        check(self.mode in MODES, "mode", f"must be one of {', '.join(MODES)}, got {self.mode!r}")
        check(self.executor in ("local", "ray"), "executor", f"must be local or ray, got {self.executor!r}")
        check(self.jobs >= 1, "jobs", f"must be >= 1, got {self.jobs}")
        check(self.best_of >= 1, "best_of", f"must be >= 1, got {self.best_of}")
        check(self.temperature >= 0, "temperature", f"must be >= 0, got {self.temperature}")

    def policy(self) -> tuple[str, dict[str, Any]]:
        """(registry key, options) that ``get_policy`` turns into the teacher in any worker process."""
        return teacher_policy(self.teacher, self.mode, adapter=self.adapter, best_of=self.best_of,
                              max_tokens=self.max_tokens, threads=self.threads, temperature=self.temperature)


@dataclass
class CollectConfig(TeacherRun):
    """Parameters of ``collect``: the teacher (above) over a corpus, one run per design and seed."""

    corpus: list[str] = option([], "design folders, or folders of designs (default: the bundled designs)")
    split: str = option("train", "the split to take: train, eval or all (designs without a split count as train)")
    designs: list[str] = option([], "only these design names (default: all in the corpus and split)")
    iterations: int = option(0, "evaluations per run, first attempt included (0: the policy's own budget)")
    seeds: list[int] = option([0], "one run per design and seed")
    out: str = option("trainer-out/collect/runlog.jsonl", "the run log written (appended to)")

    def __post_init__(self) -> None:
        super().__post_init__()
        check(self.split in ("train", "eval", "all"), "split", f"must be train, eval or all, got {self.split!r}")
        check(self.iterations >= 0, "iterations", f"must be >= 0, got {self.iterations}")
        check(bool(self.seeds), "seeds", "must name at least one seed")


def teacher_policy(
    teacher: str, mode: str, *, adapter: str = "", best_of: int = 1, max_tokens: int = 0, threads: int = 0,
    temperature: float = 0.0,
) -> tuple[str, dict[str, Any]]:
    """(registry key, options) that ``get_policy`` turns into the teacher in any worker process."""
    if teacher in NAMED_POLICIES:
        return teacher, {}
    from pytest_llm4cov.policy.model import resolve_model

    resolve_model(teacher)  # a missing file or a bad URL fails here, once, with the plugin's message
    # The teacher is the model named, as it is: the plugin would apply a shipped adapter trained on that GGUF
    # by default, and a collection meant to sample the base would silently sample a student.
    options: dict[str, Any] = {"model": teacher, "best_of": best_of, "adapter": adapter or "none"}
    if max_tokens:
        options["max_tokens"] = max_tokens
    if threads:
        options["threads"] = threads
    if temperature:
        options["temperature"] = temperature
    return mode, options


def _manifest(out: Path) -> Path:
    return out.with_name(out.name + ".done.jsonl")


def folder_key(folder: str | Path) -> str:
    """A design folder as the manifest records it: relative to the working directory when inside it, so a
    collection log committed with the project resumes from another clone's path."""
    path = Path(folder).resolve()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def finished_tasks(out: Path) -> set[tuple[str, int]]:
    """(design folder key, seed) pairs a previous collection into ``out`` finished (``folder_key``).

    Refuses a manifest written under another prompt version: curate renders today's prompt, and a reply
    collected for another prompt (a sketch grown from another example) would be trained as its answer.
    Lines from before the version was recorded carry none and are taken as they are."""
    from pytest_llm4cov.prompt import PROMPT_VERSION

    path = _manifest(out)
    if not path.is_file():
        return set()
    done = set()
    for line in path.read_text().splitlines():
        try:
            item = json.loads(line)
            done.add((folder_key(item["folder"]), int(item["seed"])))
        except (ValueError, KeyError, TypeError):
            continue  # a line cut by a stop: that task runs again
        version = item.get("prompt_version")
        if version is not None and version != PROMPT_VERSION:
            raise Llm4covError(
                f"{path}: these runs were collected under {version}, the prompt is {PROMPT_VERSION} now; delete "
                f"{path.name} and {out.name} beside it (or set [collect] out elsewhere) and collect again"
            )
    return done


def collect(config: CollectConfig) -> Path:
    """Run the teacher over the corpus; returns the run log's path."""
    from pytest_llm4cov.bench import BenchTask, progress_line
    from pytest_llm4cov.prompt import PROMPT_VERSION

    out = Path(config.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    folders = design_folders(config.corpus, config.split)
    if config.designs:
        wanted = set(config.designs)
        missing = wanted - {f.name for f in folders}
        if missing:
            raise Llm4covError(f"collect: no design '{sorted(missing)[0]}' in the corpus (split {config.split})")
        folders = [f for f in folders if f.name in wanted]
    name, options = config.policy()
    record(config, out, "collect")
    done = finished_tasks(out)
    tasks = [
        BenchTask(str(f), name, config.iterations or None, seed, config.timeout_s, str(out), options)
        for seed in config.seeds
        for f in folders
        if (folder_key(f), seed) not in done
    ]
    progress = StageProgress("collect", len(tasks), unit="runs")
    manifest = _manifest(out)

    def finished(task: BenchTask, item: dict[str, Any], n: int) -> None:
        with manifest.open("a") as fh:
            fh.write(
                json.dumps(
                    {"folder": folder_key(task.folder), "seed": task.seed, "score": item["score"],
                     "outcome": item.get("outcome"), "prompt_version": PROMPT_VERSION}
                )
                + "\n"
            )
        progress.update(n, progress_line(item, n, len(tasks)).split("] ", 1)[-1])

    run_tasks(tasks, config.jobs, config.executor, config.ray_address, finished)
    progress.close()
    return out


def run_tasks(tasks: list, jobs: int, executor: str, ray_address: str, finished) -> None:
    """Run loop tasks (``bench.BenchTask``) on the local pool or Ray; ``finished(task, item, n)`` as each ends."""
    if executor == "ray":
        _run_ray(tasks, jobs, ray_address, finished)
    else:
        _run_local(tasks, jobs, finished)


def _run_local(tasks: list, jobs: int, finished) -> None:
    from pytest_llm4cov.bench import close_policies, run_task

    if jobs <= 1 or len(tasks) <= 1:
        try:
            for n, task in enumerate(tasks, 1):
                finished(task, run_task(task), n)
        finally:
            close_policies()
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("spawn")  # each worker builds its own evaluator and policy
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx) as pool:
        futures = {pool.submit(run_task, t): t for t in tasks}
        for n, fut in enumerate(as_completed(futures), 1):
            task = futures[fut]
            try:
                item = fut.result()
            except Exception as exc:  # a worker died: that task is not marked done, a rerun retries it
                print(f"collect: {Path(task.folder).name} seed {task.seed}: worker failed ({exc})")
                continue
            finished(task, item, n)


def _run_ray(tasks: list, jobs: int, ray_address: str, finished) -> None:
    try:
        import ray
    except ImportError:
        raise Llm4covError("collect: executor ray needs Ray: pip install 'pytest-llm4cov[ray]'") from None
    from pytest_llm4cov.bench import run_task

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(
            address=ray_address or None,
            num_cpus=None if ray_address else jobs,
            include_dashboard=False,
            log_to_driver=False,
        )
    try:
        remote = ray.remote(num_cpus=1)(run_task)
        pending = {remote.remote(t): t for t in tasks}
        n = 0
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                task = pending.pop(ref)
                n += 1
                finished(task, ray.get(ref), n)
    finally:
        if started_here:
            ray.shutdown()
