"""Stage ``sample``: worst-state-prioritized sampling of the student's own states.

LLM4Cov's rule, per design, from the student's run logs: the lowest-coverage successful state (ran
clean with coverage), the median successful state only if it is more than 0.1 above the worst, and
one failing state (to teach fixing failures). Worst-state selection was stable where best-state
selection collapsed (recipe step 3). The sampled states are written whole (testbench and
observation, as run-log records), so ``synthesize`` reads nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.runlog import RunRecord
from trainer.config import check, option, record
from trainer.transitions import has_coverage, ran_clean, read_records

#: The median state is kept only this far above the worst (recipe step 3).
MEDIAN_MARGIN = 0.1


@dataclass
class SampleConfig:
    """Parameters of ``sample``."""

    runlogs: list[str] = option(["trainer-out/student/runlog.jsonl"], "the student's run logs")
    margin: float = option(MEDIAN_MARGIN, "keep the median state only if its score exceeds the worst's by this")
    failing: bool = option(True, "keep one failing state per design")
    out: str = option("trainer-out/sample/states.jsonl", "the sampled states written")

    def __post_init__(self) -> None:
        check(0 <= self.margin <= 1, "margin", f"must be in [0, 1], got {self.margin}")


def select_states(
    records: list[RunRecord], margin: float = MEDIAN_MARGIN, failing: bool = True
) -> list[tuple[str, RunRecord]]:
    """(role, record) per design: "worst", "median" (when > ``margin`` above the worst), "failing".

    Ties are broken by log order (the earliest record), so the choice is reproducible. The median of an
    even count is the lower middle state.
    """
    by_design: dict[tuple[str, str], list[tuple[int, RunRecord]]] = {}
    for i, r in enumerate(records):
        by_design.setdefault((r.design, r.rtl_hash), []).append((i, r))
    out: list[tuple[str, RunRecord]] = []
    for _key, items in sorted(by_design.items()):
        good = sorted(
            ((r.score, i, r) for i, r in items if ran_clean(r) and has_coverage(r)), key=lambda x: (x[0], x[1])
        )
        if good:
            worst = good[0]
            out.append(("worst", worst[2]))
            median = good[(len(good) - 1) // 2]
            if median[0] > worst[0] + margin:
                out.append(("median", median[2]))
        if failing:
            bad = [(i, r) for i, r in items if not (ran_clean(r) and has_coverage(r))]
            if bad:
                out.append(("failing", bad[0][1]))
    return out


def sample_states(config: SampleConfig) -> Path:
    """Write the sampled states (JSONL: role plus the run-log record); returns the path."""
    records = read_records(config.runlogs)
    if not records:
        raise Llm4covError(f"sample: the run logs {', '.join(config.runlogs)} hold no records; run the student first")
    chosen = select_states(records, config.margin, config.failing)
    out = Path(config.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    record(config, out, "sample")
    with out.open("w") as fh:
        for role, r in chosen:
            fh.write(json.dumps({"role": role, "record": json.loads(r.to_json())}) + "\n")
    roles = {role: sum(1 for x, _ in chosen if x == role) for role in ("worst", "median", "failing")}
    print(f"sample: {len(chosen)} states from {len(records)} records ({roles}) -> {out}")
    return out


def read_states(path: str | Path) -> list[tuple[str, RunRecord]]:
    p = Path(path)
    try:
        lines = p.read_text().splitlines()
    except OSError as exc:
        raise Llm4covError(
            f"{p}: cannot read the sampled states ({exc.strerror}); run the sample stage first"
        ) from None
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            out.append((str(data["role"]), RunRecord.from_dict(data["record"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise Llm4covError(f"{p}:{number}: not a sampled state ({exc}); re-run the sample stage") from None
    return out
