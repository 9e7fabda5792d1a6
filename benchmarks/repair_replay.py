"""Replay logged whole-module replies through today's static repair: what a repair change is worth, no model.

A model row of ``python -m trainer evaluate`` (or any run log of ``--llm4cov-policy model``) keeps each reply
verbatim (``proposal.raw_text``). This script takes every logged model step, turns its reply into a testbench
as the loop does today (``policy.model.testbench_from_reply``: parse, static repair with the prompt's example,
the functional coverage section), and evaluates again only the steps whose testbench changed, at the step's
own seed. It prints, per run log, the steps that changed with their outcome and score before and after, and
the clean steps and per-design best score before and after.

Each reply stays the one the model wrote: in a run with the new repair, the model would have seen other
feedback after a step that changed, so its later replies could differ. Designs are looked up by name in
``--corpus`` folders (default: the bundled designs).

    .venv/bin/python benchmarks/repair_replay.py RUNLOG.jsonl [RUNLOG.jsonl ...] [--corpus DIR ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_llm4cov.design import load_design  # noqa: E402
from pytest_llm4cov.evaluator import Evaluator  # noqa: E402
from pytest_llm4cov.policy.model import Usage, testbench_from_reply  # noqa: E402
from pytest_llm4cov.policy.repetition import FINISH_REPETITION  # noqa: E402
from pytest_llm4cov.testbench import Testbench, module_name_for  # noqa: E402
from pytest_llm4cov.waivers import scoring_evaluator  # noqa: E402


def replay(path: Path, folders: dict[str, Path], evaluator: Evaluator) -> None:
    designs: dict[str, object] = {}
    before: dict[str, float] = {}
    after: dict[str, float] = {}
    clean_before = clean_after = steps = 0
    for line in path.read_text().splitlines():
        record = json.loads(line)
        proposal = record.get("proposal") or {}
        if "raw_text" not in proposal:
            continue  # not a model step
        name = record["design"]
        if name not in folders:
            raise SystemExit(f"{path}: design '{name}' is in no --corpus folder; name the folder that holds it")
        design = designs.setdefault(name, load_design(folders[name]))
        usage = Usage(finish_reason=(proposal.get("usage") or {}).get("finish_reason", ""))
        parsed, info = testbench_from_reply(
            design, proposal["raw_text"], truncated=usage.truncated,
            max_tokens=(record.get("policy") or {}).get("settings", {}).get("max_tokens", 0),
            repeated=usage.finish_reason == FINISH_REPETITION,
        )
        obs = record["observation"]
        old_ok, old_score = obs["outcome"] == "passed", obs.get("score") or 0.0
        new_ok, new_score = old_ok, old_score
        source = parsed.code if parsed.code.strip() else proposal["raw_text"]
        if parsed.error is None and source != record["testbench"]:
            tb = Testbench(source, module_name_for(design.top))
            new = scoring_evaluator(design, evaluator).evaluate(design.build, tb, seed=record["seed"])
            new_ok, new_score = new.outcome.value == "passed", new.score or 0.0
            fixes = "; ".join(info.get("repair", {}).get("fixes", []))
            print(f"  {name:20} step {record['step']}: {obs['outcome']} {old_score:.1%} -> "
                  f"{new.outcome.value} {new_score:.1%}  ({fixes})")
            if not new_ok and new.error:
                print(f"    still failing: {new.error.splitlines()[0][:160]}")
        steps += 1
        clean_before += old_ok
        clean_after += new_ok
        before[name] = max(before.get(name, 0.0), old_score)
        after[name] = max(after.get(name, 0.0), new_score)
    if not steps:
        print(f"{path}: no model steps")
        return
    avg = lambda scores: sum(scores.values()) / len(scores)  # noqa: E731
    print(f"{path}: clean steps {clean_before}/{steps} -> {clean_after}/{steps}; best per design, average over "
          f"{len(before)}: {avg(before):.1%} -> {avg(after):.1%}")
    for name in sorted(before):
        if abs(after[name] - before[name]) >= 0.0005:
            print(f"  {name:20} best {before[name]:.1%} -> {after[name]:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runlogs", type=Path, nargs="+")
    parser.add_argument("--corpus", type=Path, nargs="*", default=[ROOT / "designs"],
                        help="folders of design folders (default: the bundled designs)")
    args = parser.parse_args()
    folders = {f.name: f for root in args.corpus for f in sorted(root.iterdir()) if f.is_dir()}
    evaluator = Evaluator()
    for path in args.runlogs:
        replay(path, folders, evaluator)


if __name__ == "__main__":
    main()
