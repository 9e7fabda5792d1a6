"""The built-in policy against the random baseline, design by design, on exactly the same stimulus budget.

Both run with the same iterations and seed through ``pytest_llm4cov.bench`` (nothing written into the
tree). At every step the random policy simulates exactly the cycles the built-in policy would
(``simulated_cycles``: corner, sequence, hold and reset phases included; see ``policy/random_policy.py``).
Prints per design the two scores, the delta, the cycles each stated and the simulated time each
measured (summed over steps) and the hard_for_random tags, then the averages, the designs whose
budgets differ although both ran the same steps (there should be none), then the tagged designs
where the built-in is NOT strictly above random.

This is a tuning benchmark: it runs the train split unless told otherwise. The eval split is kept for
evaluation (``python -m pytest_llm4cov bench``), so that no heuristic is chosen by its eval figures.

    .venv/bin/python benchmarks/policy.py [--split train|eval|all] [--designs a,b] [--iterations N]
                                          [--seed S] [--jobs J] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.bench import bench_totals, default_designs_dir, discover, progress_line, run_designs

POLICIES = ("builtin", "random")


def sim_us(item: dict) -> str:
    ns = item.get("sim_time_ns")
    return "-" if ns is None else f"{ns / 1000:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("eval", "train", "all"), default=None,
                        help="which designs (default: train, the tuning split; with --designs, a filter)")
    parser.add_argument("--designs", help="only these design folders (comma-separated)")
    parser.add_argument("--iterations", type=int, default=None, help="evaluations per design (policy default)")
    parser.add_argument("--seed", type=int, default=0, help="base random seed (0)")
    parser.add_argument("--jobs", type=int, default=1, help="designs run in parallel processes (1)")
    parser.add_argument("--designs-dir", type=Path, default=None, help="default: the bundled designs/")
    parser.add_argument("--json", type=Path, default=None, help="also write both runs' items here")
    parser.add_argument("--quiet", action="store_true", help="no progress line per design")
    args = parser.parse_args(argv)

    names = [n.strip() for n in (args.designs or "").split(",") if n.strip()] or None
    split = args.split if args.split is not None else (None if names else "train")
    try:
        folders = discover(args.designs_dir or default_designs_dir(), split, names)
    except Llm4covError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    runs: dict[str, dict[str, dict]] = {}
    elapsed: dict[str, float] = {}
    for policy in POLICIES:
        print(f"{policy}: {len(folders)} designs, iterations {args.iterations or 'default'}, seed {args.seed}",
              flush=True)

        def on_done(item, n, total):
            if not args.quiet:
                print("  " + progress_line(item, n, total), flush=True)

        t0 = time.monotonic()
        items = run_designs(folders, policy, iterations=args.iterations, seed=args.seed, jobs=args.jobs,
                            on_done=on_done)
        elapsed[policy] = time.monotonic() - t0
        runs[policy] = {i["design"]: i for i in items}

    b, r = runs["builtin"], runs["random"]
    names_all = sorted(set(b) | set(r))
    print()
    print(
        f"{'design':20} {'split':5} {'builtin':>8} {'random':>8} {'delta':>8} {'cyc b':>7} {'cyc r':>7}"
        f" {'sim us b':>9} {'sim us r':>9}  hard_for_random"
    )
    for n in names_all:
        x, y = b[n], r[n]
        delta = x["score"] - y["score"]
        tags = ",".join(x.get("hard_for_random") or []) or "-"
        print(
            f"{n:20} {(x.get('split') or '-'):5} {x['score']:>8.1%} {y['score']:>8.1%} {delta * 100:>+7.1f}p "
            f"{x.get('cycles', 0):>7} {y.get('cycles', 0):>7} {sim_us(x):>9} {sim_us(y):>9}  {tags}"
        )
    tb, tr = bench_totals(list(b.values())), bench_totals(list(r.values()))
    print(
        f"{'average':20} {'':5} {tb['average_coverage']:>8.1%} {tr['average_coverage']:>8.1%} "
        f"{(tb['average_coverage'] - tr['average_coverage']) * 100:>+7.1f}p"
    )
    print(
        f"pass rate: builtin {tb['pass_rate']:.1%} ({tb['passed']}/{tb['designs']}), "
        f"random {tr['pass_rate']:.1%} ({tr['passed']}/{tr['designs']})"
    )
    hard = [n for n in names_all if b[n].get("hard_for_random")]
    if hard:
        hb = sum(b[n]["score"] for n in hard) / len(hard)
        hr = sum(r[n]["score"] for n in hard) / len(hard)
        print(f"hard_for_random designs ({len(hard)}): builtin average {hb:.1%}, random average {hr:.1%}")
    print(f"wall: builtin {elapsed['builtin']:.1f} s, random {elapsed['random']:.1f} s ({args.jobs} job(s))")
    same_steps = [n for n in names_all if b[n]["steps"] == r[n]["steps"]]
    unequal = [n for n in same_steps if b[n].get("sim_time_ns") != r[n].get("sim_time_ns")]
    print(
        f"stimulus budgets: equal simulated time on {len(same_steps) - len(unequal)} of the {len(same_steps)} "
        f"designs where both ran the same steps{' (differ: ' + ', '.join(unequal) + ')' if unequal else ''}; "
        f"the others stopped early at full coverage"
    )
    if unequal:
        print("  (a step's budget follows its refinement level, the best state's step + 1: where one policy's "
              "best stalled, its later steps refined from an earlier step, at a smaller budget)")
    not_above = [n for n in hard if not b[n]["score"] > r[n]["score"] + 1e-9]
    print()
    if not_above:
        print(f"hard_for_random designs where builtin is NOT strictly above random ({len(not_above)}):")
        for n in not_above:
            print(
                f"  {n:20} builtin {b[n]['score']:.1%}  random {r[n]['score']:.1%}  "
                f"[{', '.join(b[n]['hard_for_random'])}]"
            )
    else:
        print("hard_for_random designs where builtin is NOT strictly above random: none")
    if args.json:
        args.json.write_text(json.dumps(
            {"iterations": args.iterations, "seed": args.seed, "builtin": list(b.values()),
             "random": list(r.values())}, indent=2) + "\n")
        print(f"items: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
