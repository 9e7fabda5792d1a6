"""``python -m pytest_llm4cov``: the command line (evaluate one testbench, resume a run, bench; more hang here)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from pytest_llm4cov import Llm4covError, __version__
from pytest_llm4cov.options import _positive_int
from pytest_llm4cov.sandbox import CONTAINMENT_LEVELS


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def render_observation(obs, max_uncovered: int = 40) -> str:
    """The observation and its coverage table, for people."""
    from pytest_llm4cov.coverage import format_metrics

    first = obs.error.splitlines()[0] if obs.error else ""
    lines = [f"outcome: {obs.outcome.value}" + (f" ({first})" if first else "")]
    lines.append(f"simulator: {obs.simulator}; build cache {'hit' if obs.cache_hit else 'miss'}")
    for t in obs.tests:
        lines.append(f"  test {t.name}: {'passed' if t.passed else 'FAILED ' + t.message}")
    if not obs.coverage_available:
        lines.append("coverage: unavailable with this simulator (install Verilator for code coverage)")
        return "\n".join(lines)
    if obs.coverage is None:
        lines.append("coverage: none produced (score 0)")
        return "\n".join(lines)
    lines.append(f"{'metric':10} {'covered':>8} {'total':>6} {'ratio':>7}")
    for metric, s in obs.metrics.items():
        lines.append(f"{metric:10} {s.covered:>8} {s.total:>6} {s.ratio:>7.1%}")
    lines.append(f"{'score':10} {'':>8} {'':>6} {obs.score:>7.1%}")
    per_file = obs.coverage.per_file()
    if len(per_file) > 1:
        for file, metrics in per_file.items():
            lines.append(f"  {file}: {format_metrics(metrics)}")
    uncovered = obs.uncovered()
    if uncovered:
        lines.append(f"uncovered ({len(uncovered)}):")
        for p in uncovered[:max_uncovered]:
            detail = f" [{p.comment}]" if p.comment else ""
            lines.append(f"  {p.file}:{p.line} {p.metric}{detail}: {obs.coverage.source_line(p)}")
        if len(uncovered) > max_uncovered:
            lines.append(f"  ... {len(uncovered) - max_uncovered} more")
    return "\n".join(lines)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from pytest_llm4cov.evaluator import evaluate_files
    from pytest_llm4cov.observation import Outcome

    obs, _ = evaluate_files(
        args.rtl, args.tb, top=args.top, timeout_s=args.timeout, seed=args.seed, simulator=args.simulator,
        containment=args.containment,
    )
    if args.json:
        print(json.dumps(obs.to_dict(), indent=2))
    else:
        print(render_observation(obs))
    if obs.outcome is Outcome.BUILD_FAILED:
        # Bad input, like unparsable RTL: the testbench never ran. The message names file and line.
        raise Llm4covError(obs.error.splitlines()[0] if obs.error else "the RTL did not build")
    return 0


def _cmd_resume(args: argparse.Namespace) -> int:
    from pytest_llm4cov.design import load_design
    from pytest_llm4cov.evaluator import Evaluator
    from pytest_llm4cov.resume import resume_point, resume_run, resumed_policy
    from pytest_llm4cov.sandbox import Limits
    from pytest_llm4cov.simulator import find_simulator

    design = load_design(args.design, args.top)
    point = resume_point(args.runlog, design, args.run_id)
    print(
        f"run {point.run_id} of {design.id}: {point.steps_done} steps done, best score {point.best_score:.4f}"
        + (f" (step {point.best_step})" if point.best_step is not None else "")
    )
    if point.closed:
        print("nothing to resume: coverage is already closed")
        return 0
    policy = resumed_policy(point, args.model, args.policy)
    evaluator = Evaluator(
        find_simulator(args.simulator), limits=Limits(wall_s=args.timeout, containment=args.containment),
        metrics=design.config.metrics,
    )
    try:
        point, result = resume_run(
            args.runlog, design, policy, evaluator, iterations=args.iterations, seed=args.seed, run_id=point.run_id
        )
    finally:
        policy.close()
    if result is None:
        why = "coverage is already closed" if point.closed else "its step budget is already spent"
        print(f"nothing to resume: {why} (give a larger --iterations to go on)")
        return 0
    print(f"resumed as run {result.run_id}: {len(result.steps)} more evaluations, best score {result.score:.4f} "
          f"({result.stopped}); records appended to {args.runlog}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pytest_llm4cov import bench

    if args.compare:
        bench.compare(args.compare[0], args.compare[1])
        return 0
    names = [n.strip() for n in (args.designs or "").split(",") if n.strip()] or None
    bench.run_bench(
        policy=args.policy, split=args.split, designs=names, iterations=args.iterations, jobs=args.jobs,
        seed=args.seed, out=Path(args.out) if args.out else None,
        designs_dir=Path(args.designs_dir) if args.designs_dir else None,
    )
    return 0


def _cmd_mutate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pytest_llm4cov.design import load_design
    from pytest_llm4cov.evaluator import Evaluator
    from pytest_llm4cov.mutation import mutation_test, render_mutation
    from pytest_llm4cov.sandbox import Limits
    from pytest_llm4cov.simulator import find_simulator
    from pytest_llm4cov.testbench import Testbench, module_name_for

    design = load_design(args.design, args.top)
    tb_path = Path(args.tb)
    if not tb_path.is_file():
        raise Llm4covError(f"{tb_path}: no such testbench (give the cocotb test module with --tb)")
    tb = Testbench(tb_path.read_text(errors="replace"), module_name_for(design.top))
    evaluator = Evaluator(find_simulator(args.simulator), limits=Limits(wall_s=args.timeout,
                                                                        containment=args.containment))
    seed = args.seed
    if seed is None:  # the seed the kept testbench was scored with, from the llm4cov.json beside it
        try:
            seed = int(json.loads((tb_path.parent / "llm4cov.json").read_text()).get("seed", 0))
        except (OSError, ValueError, TypeError, AttributeError):
            seed = 0
    result = mutation_test(design.build, tb, evaluator, limit=args.mutants, seed=seed,
                           unbuilt=design.interface.unbuilt)
    if args.json:
        Path(args.json).write_text(json.dumps({"design": design.id, **result.to_dict()}, indent=2) + "\n")
    print(render_mutation(design.id, result))
    return 1 if result.error else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pytest_llm4cov", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"pytest-llm4cov {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="run one cocotb testbench against RTL and report its coverage")
    ev.add_argument("rtl", nargs="+", help="RTL files (.v/.sv) or directories holding them")
    ev.add_argument("--tb", required=True, help="the cocotb test module (a .py file)")
    ev.add_argument("--top", help="top module (default: the one module nobody instantiates)")
    ev.add_argument("--timeout", type=_positive_float, default=60.0, help="wall-clock limit of the run, s (60)")
    ev.add_argument("--seed", type=int, default=0, help="random seed given to cocotb (0)")
    ev.add_argument("--simulator", choices=("verilator", "icarus"), help="default: the best one found")
    ev.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    ev.add_argument("--containment", choices=CONTAINMENT_LEVELS, default="strict",
                    help="sandbox level: strict (default; every layer the machine allows) or basic")
    ev.set_defaults(func=_cmd_evaluate)
    re_ = sub.add_parser("resume", help="continue an interrupted run from its run log (best state, remaining budget)")
    re_.add_argument("runlog", help="the run log (JSONL) the interrupted run wrote")
    re_.add_argument("--design", required=True, help="the design folder the run was on")
    re_.add_argument("--top", help="top module (default: the design's)")
    re_.add_argument("--run-id", help="which run of the log (default: the design's last)")
    re_.add_argument("--policy", help="testbench writer (default: the one the run used)")
    re_.add_argument("--model", help="a .gguf file, model directory or openai:URL (for a model policy)")
    re_.add_argument("--iterations", type=_positive_int,
                     help="the whole run's budget, logged steps included (default: the policy's)")
    re_.add_argument("--seed", type=int, help="base seed of the continued run (default: the run's + 1)")
    re_.add_argument("--timeout", type=_positive_float, default=60.0, help="wall-clock limit of one run, s (60)")
    re_.add_argument("--simulator", choices=("verilator", "icarus"), help="default: the best one found")
    re_.add_argument("--containment", choices=CONTAINMENT_LEVELS, default="strict",
                     help="sandbox level: strict (default) or basic")
    re_.set_defaults(func=_cmd_resume)
    mu = sub.add_parser("mutate", help="mutation score of a testbench: one-token RTL mutants, one build, "
                                      "each mutant run; survivors listed with their diff")
    mu.add_argument("design", help="the design folder (its llm4cov.toml is read)")
    mu.add_argument("--tb", required=True, help="the cocotb test module (a kept tb_TOP.py)")
    mu.add_argument("--top", help="top module (default: the design's)")
    mu.add_argument("--mutants", type=_positive_int, help="run at most N mutants, a fixed sample (default: all)")
    mu.add_argument("--seed", type=int,
                    help="random seed given to cocotb (default: the kept one from llm4cov.json beside --tb, else 0)")
    mu.add_argument("--timeout", type=_positive_float, default=120.0,
                    help="wall-clock limit of one run, s (120; mutants get a limit scaled from the clean run)")
    mu.add_argument("--simulator", choices=("verilator", "icarus"), help="default: the best one found")
    mu.add_argument("--containment", choices=CONTAINMENT_LEVELS, default="strict",
                    help="sandbox level: strict (default) or basic")
    mu.add_argument("--json", metavar="FILE", help="also write the result as JSON")
    mu.set_defaults(func=_cmd_mutate)
    be = sub.add_parser(
        "bench", help="close coverage on the bundled designs; report pass rate and average coverage"
    )
    be.add_argument("--policy", default="builtin", help="testbench writer: builtin (default) or random")
    be.add_argument("--split", choices=("eval", "train", "all"),
                    help="which designs: eval (default), train or all; with --designs, a filter")
    be.add_argument("--designs", metavar="NAME,...", help="only these design folders (comma-separated)")
    be.add_argument("--iterations", type=_positive_int, help="evaluations per design (default: the policy's)")
    be.add_argument("--jobs", type=_positive_int, default=1, help="designs run in parallel processes (1)")
    be.add_argument("--seed", type=int, default=0, help="base random seed (0)")
    be.add_argument("--out", metavar="FILE.json", help="results file (default: bench-POLICY-SPLIT.json here)")
    be.add_argument("--designs-dir", metavar="DIR",
                    help="where the design folders are (default: the bundled designs/)")
    be.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"),
                    help="print two results files' scores side by side with the deltas, then exit")
    be.set_defaults(func=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Llm4covError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
