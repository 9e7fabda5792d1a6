"""The evaluator's build-once-run-many figure: the first evaluation (with the build) against later ones.

For a small design (counter4) and a medium one (cmd_parser), with a fresh temporary build cache:
the wall time of the first evaluation of the design's reference testbench (Verilator build included),
the median of the next N evaluations (build-cache hits), and their ratio. Also one evaluation from a
second, fresh Evaluator on the same cache directory (a hit on disk, as another process would see it).

    .venv/bin/python benchmarks/evaluator.py [--designs counter4,cmd_parser] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pytest_llm4cov.design import load_design
from pytest_llm4cov.evaluator import Evaluator
from pytest_llm4cov.testbench import Testbench

ROOT = Path(__file__).resolve().parent.parent
DESIGNS = ROOT / "designs"


def timed(evaluator: Evaluator, design, tb: Testbench):
    t0 = time.perf_counter()
    obs = evaluator.evaluate(design.build, tb, seed=0)
    return time.perf_counter() - t0, obs


def measure(name: str, repeats: int) -> dict:
    design = load_design(DESIGNS / name)
    tb_path = DESIGNS / name / "reference" / f"test_{name}.py"
    tb = Testbench(tb_path.read_text(), tb_path.stem)
    with tempfile.TemporaryDirectory(prefix="llm4cov-evalbench-") as cache:
        evaluator = Evaluator(cache_dir=Path(cache))
        first_s, first = timed(evaluator, design, tb)
        if first.cache_hit:
            raise SystemExit(f"{name}: the first evaluation hit the cache; the temporary cache is not fresh")
        later = [timed(evaluator, design, tb) for _ in range(repeats)]
        other_s, other = timed(Evaluator(cache_dir=Path(cache)), design, tb)
    for _, obs in [*later, (other_s, other)]:
        if not obs.cache_hit:
            raise SystemExit(f"{name}: a later evaluation missed the build cache")
    times = [t for t, _ in later]
    median = statistics.median(times)
    return {
        "design": name,
        "rtl_lines": sum(t.count("\n") for t in design.rtl_text.values()),
        "outcome": first.outcome.value,
        "score": first.score,
        "build_s": first.build_s,
        "first_s": first_s,
        "later_median_s": median,
        "later_min_s": min(times),
        "later_max_s": max(times),
        "fresh_evaluator_hit_s": other_s,
        "ratio": first_s / median if median > 0 else float("inf"),
        "simulator": first.simulator,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", default="counter4,cmd_parser", help="comma-separated bundled designs")
    parser.add_argument("--repeats", type=int, default=5, help="later evaluations to take the median of (5)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.designs.split(",") if n.strip()]
    rows = []
    for name in names:
        row = measure(name, args.repeats)
        rows.append(row)
        print(
            f"{name}: {row['rtl_lines']} RTL lines, reference testbench {row['outcome']}, score {row['score']:.1%}",
            flush=True,
        )
    print(f"simulator: {rows[0]['simulator']}")
    print(
        f"{'design':12} {'first (build)':>14} {'of it build':>11} {f'median of {args.repeats}':>12} "
        f"{'min..max':>13} {'new evaluator':>13} {'ratio':>7}"
    )
    for r in rows:
        print(
            f"{r['design']:12} {r['first_s']:>12.2f} s {r['build_s']:>9.2f} s {r['later_median_s']:>10.3f} s "
            f"{r['later_min_s']:>5.3f}..{r['later_max_s']:<5.3f}s {r['fresh_evaluator_hit_s']:>11.3f} s "
            f"{r['ratio']:>6.1f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
