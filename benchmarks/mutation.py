"""Mutation score of the built-in policy's kept testbenches against the reference testbenches.

For each design: close coverage with the built-in policy (its default budget, nothing written into the
tree), then run the same sample of one-token mutants (``pytest_llm4cov.mutation``) against the kept
testbench, against the same testbench with its RTL-inferred checks emptied (``RESET_VALUES`` and
``LEGAL``: what the built-in checked before them, X/Z only), and against the design's reference
testbench (``designs/NAME/reference/test_NAME.py``, which checks outputs against a model). All three
share ONE build of the mutant schemata per design; the table
shows the build count and times. Results go to a JSON file after each design (a rerun skips designs
already there: checkpointed).

    .venv/bin/python benchmarks/mutation.py [--split eval|train|all] [--designs a,b] [--mutants N]
                                            [--seed S] [--json FILE] [--fresh]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.bench import default_designs_dir, discover


def measure(folder: Path, mutants: int, seed: int, evaluator, policy) -> dict:
    from pytest_llm4cov.closure import close_design
    from pytest_llm4cov.design import load_design
    from pytest_llm4cov.mutation import mutation_test
    from pytest_llm4cov.testbench import Testbench

    design = load_design(folder)
    row: dict = {"design": design.name, "top": design.top}
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="llm4cov-mut-") as out:
        item, result = close_design(design, policy, evaluator, out=Path(out), runlog=None, seed=seed,
                                    incremental=False, write=False)
    row["closure_s"] = round(time.monotonic() - t0, 1)
    row["coverage"] = item.score
    tb = result.best.testbench
    ref_path = folder / "reference" / f"test_{design.name}.py"
    plain = Testbench(_without_checks(tb.source), tb.module) if tb is not None else None
    for label, bench in (("builtin", tb), ("unchecked", plain), ("reference", None)):
        if label == "reference":
            if not ref_path.is_file():
                row[label] = {"error": "no reference testbench"}
                continue
            bench = Testbench(ref_path.read_text(), f"test_{design.name}")
        if bench is None:
            row[label] = {"error": "no testbench kept"}
            continue
        r = mutation_test(design.build, bench, evaluator, limit=mutants,
                          seed=seed if label == "reference" else item.seed, unbuilt=design.interface.unbuilt)
        row[label] = r.to_dict()
    return row


def _without_checks(source: str) -> str:
    """The built-in testbench with its inferred checks emptied (X/Z checks stay)."""
    import re

    return re.sub(r"^(RESET_VALUES|LEGAL) = \{.*\}$", r"\1 = {}", source, flags=re.M)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("eval", "train", "all"), default=None, help="default: eval")
    parser.add_argument("--designs", help="only these design folders (comma-separated)")
    parser.add_argument("--mutants", type=int, default=20, help="mutants per design, a fixed sample (20)")
    parser.add_argument("--seed", type=int, default=0, help="base random seed (0)")
    parser.add_argument("--json", type=Path, default=Path("bench-mutation.json"), help="results (checkpoint)")
    parser.add_argument("--fresh", action="store_true", help="ignore designs already in the JSON file")
    args = parser.parse_args(argv)

    from pytest_llm4cov.evaluator import Evaluator
    from pytest_llm4cov.policy import get_policy
    from pytest_llm4cov.sandbox import Limits

    names = [n.strip() for n in (args.designs or "").split(",") if n.strip()] or None
    split = args.split if args.split is not None else (None if names else "eval")
    try:
        folders = discover(default_designs_dir(), split, names)
    except Llm4covError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows: dict[str, dict] = {}
    if args.json.is_file() and not args.fresh:
        rows = {r["design"]: r for r in json.loads(args.json.read_text()).get("rows", [])}
    evaluator = Evaluator(limits=Limits(wall_s=120.0))
    policy = get_policy("builtin")
    for folder in folders:
        if folder.name in rows:
            continue
        rows[folder.name] = measure(folder, args.mutants, args.seed, evaluator, policy)
        print(_line(rows[folder.name]), flush=True)
        args.json.write_text(json.dumps({"mutants": args.mutants, "seed": args.seed,
                                         "rows": sorted(rows.values(), key=lambda r: r["design"])}, indent=2))
    print()
    print(table([rows[f.name] for f in folders if f.name in rows]))
    return 0


def _score(r: dict) -> str:
    return f"{r['score']:.1%} ({r['killed']}/{r['run']})" if r.get("score") is not None else "n/a"


def _line(row: dict) -> str:
    b, ref = row["builtin"], row["reference"]
    return (f"{row['design']:20} coverage {row['coverage']:.1%}  builtin {_score(b)} (without inferred checks "
            f"{_score(row['unchecked'])})  reference {_score(ref)}  "
            f"mutants {b.get('mutants', '-')}, builds {b.get('builds', 0) + ref.get('builds', 0)}, "
            f"schemata build {b.get('build_s', 0) + ref.get('build_s', 0):.1f} s, "
            f"mutant runs {b.get('run_s', 0):.0f} + {ref.get('run_s', 0):.0f} s"
            + (f"  [{b.get('error') or ref.get('error')}]" if b.get("error") or ref.get("error") else ""))


def table(rows: list[dict]) -> str:
    """A markdown table: per design the two scores, the build count and times; then the totals."""
    out = ["| design | mutants (run) | built-in, X/Z checks only | built-in with inferred checks | reference tb "
           "| builds | build s | mutant runs s (X/Z-only + built-in + ref) |",
           "|---|---|---|---|---|---|---|---|"]
    tot = {"unchecked": [0, 0], "builtin": [0, 0], "reference": [0, 0]}
    for r in rows:
        b, ref = r["builtin"], r["reference"]
        for label in tot:
            if r[label].get("run"):
                tot[label][0] += r[label]["killed"]
                tot[label][1] += r[label]["run"]
        out.append(f"| {r['design']} | {b.get('mutants', '-')} ({b.get('run', 0)}) | {_score(r['unchecked'])} | "
                   f"{_score(b)} | {_score(ref)} | "
                   f"{b.get('builds', 0) + ref.get('builds', 0)} | {b.get('build_s', 0) + ref.get('build_s', 0):.1f} | "
                   f"{r['unchecked'].get('run_s', 0):.0f} + {b.get('run_s', 0):.0f} + {ref.get('run_s', 0):.0f} |")
    cells = [f"{k / n:.1%} ({k}/{n})" if n else "n/a" for k, n in tot.values()]
    out.append(f"| **total ({len(rows)} designs)** | | {cells[0]} | {cells[1]} | {cells[2]} | | | |")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
