"""Summaries of many closure results: the terminal table, report.json, and merged lcov.

Pure functions of ``ItemResult`` lists, so the plugin, the benchmark and the tests share them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pytest_llm4cov import __version__
from pytest_llm4cov.artifacts import write_atomic
from pytest_llm4cov.closure import ItemResult
from pytest_llm4cov.coverage import sort_metrics


def totals(items: Sequence[ItemResult]) -> dict[str, float]:
    """LLM4Cov's headline figures: coverage pass rate and average coverage (a failed run counts 0)."""
    if not items:
        return {"pass_rate": 0.0, "average_coverage": 0.0, "designs": 0}
    return {
        "pass_rate": round(sum(i.passed for i in items) / len(items), 6),
        "average_coverage": round(sum(i.score for i in items) / len(items), 6),
        "designs": len(items),
    }


def render_summary(items: Sequence[ItemResult], stream: TextIO, *, show_paths: bool = True) -> None:
    """One row per item, then the totals."""
    items = sorted(items, key=lambda i: (i.design, i.top))
    metrics = sort_metrics(m for i in items for m in i.metrics)
    head = f"{'design':22} {'top':18} {'steps':>5} " + " ".join(f"{m[:6]:>6}" for m in metrics)
    head += f" {'score':>6} {'target':>6}  result"
    stream.write(head + "\n")
    for i in items:
        cells = " ".join(
            f"{i.metrics[m]['ratio']:>6.1%}" if m in i.metrics else f"{'-':>6}" for m in metrics
        )
        result = "PASS" if i.passed else "FAIL"
        row = f"{i.design[:22]:22} {i.top[:18]:18} {i.steps:>5} {cells} {i.score:>6.1%} {i.target:>6.0%}  {result}"
        if show_paths and i.testbench:
            row += f"  {i.testbench}"
        if i.note:
            row += f"  ({i.note})"
        stream.write(row + "\n")
    t = totals(items)
    stream.write(
        f"pass rate {t['pass_rate']:.1%} ({sum(i.passed for i in items)}/{len(items)}), "
        f"average coverage {t['average_coverage']:.1%}\n"
    )


def report_dict(items: Sequence[ItemResult], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"tool": "pytest-llm4cov", "version": __version__}
    data.update(extra or {})
    data["items"] = [i.to_dict() for i in sorted(items, key=lambda i: (i.design, i.top))]
    data.update(totals(items))
    return data


def write_report(out: Path, items: Sequence[ItemResult], extra: dict[str, Any] | None = None) -> Path:
    path = out / "report.json"
    write_atomic(path, json.dumps(report_dict(items, extra), indent=2) + "\n")
    merged = []
    for i in sorted(items, key=lambda i: (i.design, i.top)):
        info = Path(i.testbench).parent / "coverage.info" if i.testbench else None
        if info and info.is_file():
            merged.append(info.read_text())
    if merged:
        write_atomic(out / "coverage.info", "".join(merged))
    return path
