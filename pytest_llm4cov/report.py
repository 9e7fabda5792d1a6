"""Summaries of many closure results: the terminal table and the report files of a run.

``write_report`` writes, in the output directory: report.json (every ``ItemResult``), report.html
(html_report.py), cobertura.xml (cobertura.py) and coverage.info (lcov), the last two merged over
designs from each item's coverage.json with waived points left out. ``render_summary`` and ``totals``
are pure functions of ``ItemResult`` lists, so the plugin, the benchmark and the tests share them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pytest_llm4cov import __version__
from pytest_llm4cov.artifacts import load_coverage_data, points_from_data, write_atomic
from pytest_llm4cov.closure import ItemResult
from pytest_llm4cov.coverage import CoverageReport, sort_metrics, to_lcov

REPORT_FILES = ("report.json", "report.html", "cobertura.xml", "coverage.info")


def totals(items: Sequence[ItemResult]) -> dict[str, float]:
    """LLM4Cov's headline figures: coverage pass rate and average coverage (a failed run counts 0)."""
    if not items:
        return {"pass_rate": 0.0, "average_coverage": 0.0, "designs": 0}
    return {
        "pass_rate": round(sum(i.passed for i in items) / len(items), 6),
        "average_coverage": round(sum(i.score for i in items) / len(items), 6),
        "designs": len(items),
    }


def _label(item: ItemResult) -> str:
    return f"{item.top}[{item.configuration}]" if item.configuration else item.top


def render_summary(items: Sequence[ItemResult], stream: TextIO, *, show_paths: bool = True) -> None:
    """One row per item (per configuration, then the design's merged row), then the totals.

    A ``raw`` column (the score with proven-unreachable points kept) appears when any item has them.
    """
    items = sorted(items, key=lambda i: (i.design, i.top, i.configuration or ""))
    metrics = sort_metrics(m for i in items for m in i.metrics)
    raw = any(i.raw_score is not None and abs(i.raw_score - i.score) > 1e-9 for i in items) or any(
        i.merged and abs(i.merged["raw_score"] - i.merged["score"]) > 1e-9 for i in items)
    head = f"{'design':22} {'top':18} {'steps':>5} " + " ".join(f"{m[:6]:>6}" for m in metrics)
    head += f" {'score':>6}" + (f" {'raw':>6}" if raw else "") + f" {'target':>6}  result"
    stream.write(head + "\n")

    def cells(figures: dict[str, Any]) -> str:
        return " ".join(
            f"{figures[m]['ratio']:>6.1%}" if m in figures else f"{'-':>6}" for m in metrics
        )

    for n, i in enumerate(items):
        result = "PASS" if i.passed else "FAIL"
        raw_cell = f" {i.raw_score if i.raw_score is not None else i.score:>6.1%}" if raw else ""
        row = (f"{i.design[:22]:22} {_label(i)[:18]:18} {i.steps:>5} {cells(i.metrics)} {i.score:>6.1%}{raw_cell}"
               f" {i.target:>6.0%}  {result}")
        if show_paths and i.testbench:
            row += f"  {i.testbench}"
        if i.waived:
            row += f"  ({len(i.waived)} waived)"
        if i.note:
            row += f"  ({i.note})"
        stream.write(row + "\n")
        last = n + 1 == len(items) or (items[n + 1].design, items[n + 1].top) != (i.design, i.top)
        if i.merged and last:
            m = i.merged
            raw_cell = f" {m['raw_score']:>6.1%}" if raw else ""
            verdict = "met" if m["met_target"] else "below"
            stream.write(f"{i.design[:22]:22} {(i.top + '[merged]')[:18]:18} {'':>5} {cells(m['metrics'])} "
                         f"{m['score']:>6.1%}{raw_cell} {m['target']:>6.0%}  {verdict}  "
                         f"(any of {len(m['from'])} configurations; {len(m['suspects'])} for review)\n")
    t = totals(items)
    stream.write(
        f"pass rate {t['pass_rate']:.1%} ({sum(i.passed for i in items)}/{len(items)}), "
        f"average coverage {t['average_coverage']:.1%}\n"
    )
    review = [i for i in items if i.suspects]
    if review:
        names = ", ".join(f"{i.design}{f'[{i.configuration}]' if i.configuration else ''} ({len(i.suspects)})"
                          for i in review[:5]) + (", ..." if len(review) > 5 else "")
        stream.write(f"for review, possibly unreachable points (not waived): {names}\n")
    from pytest_llm4cov.mutation import mutation_totals

    mt = mutation_totals([i.mutation for i in items])
    if mt is not None:
        per = ", ".join(f"{i.design} {i.mutation['score']:.0%}" for i in items if i.mutation and i.mutation.get("run"))
        stream.write(f"mutation score {mt['score']:.1%} ({mt['killed']}/{mt['run']} mutants killed, "
                     f"{mt['survivors']} survived): {per}\n")
    unused = [i for i in items if i.unused_waivers]
    if unused:
        stream.write(f"waivers that matched no point: {', '.join(i.design for i in unused)}\n")


def report_dict(items: Sequence[ItemResult], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"tool": "pytest-llm4cov", "version": __version__}
    data.update(extra or {})
    data["items"] = [i.to_dict() for i in sorted(items, key=lambda i: (i.design, i.top, i.configuration or ""))]
    data.update(totals(items))
    from pytest_llm4cov.mutation import mutation_totals

    mt = mutation_totals([i.mutation for i in items])
    if mt is not None:
        data["mutation"] = mt
    return data


def write_report(out: Path, items: Sequence[ItemResult], extra: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write report.json, report.html, cobertura.xml and the merged coverage.info; return their paths."""
    from pytest_llm4cov.cobertura import to_cobertura
    from pytest_llm4cov.html_report import write_html

    items = sorted(items, key=lambda i: (i.design, i.top, i.configuration or ""))
    paths = {"json": out / "report.json"}
    write_atomic(paths["json"], json.dumps(report_dict(items, extra), indent=2) + "\n")
    datas = {_key(i): load_coverage_data(out, i.design, i.top, i.configuration) for i in items}
    merged: list[str] = []
    packages = []
    for i in items:
        data = datas[_key(i)]
        if data is not None:
            points = tuple(p for p, waived in points_from_data(data) if waived is None)
            merged.append(to_lcov(CoverageReport(points), test_name=_lcov_name(i)))
            name = i.design if i.design == i.top else f"{i.design}.{i.top}"
            packages.append((f"{name}[{i.configuration}]" if i.configuration else name, points))
        else:  # written by another version, or no coverage kept: the item's own lcov, if any
            info = Path(i.testbench).parent / "coverage.info" if i.testbench else None
            if info and info.is_file():
                merged.append(info.read_text())
    if merged:
        paths["lcov"] = out / "coverage.info"
        write_atomic(paths["lcov"], "".join(merged))
    paths["cobertura"] = out / "cobertura.xml"
    write_atomic(paths["cobertura"], to_cobertura(packages))
    paths["html"] = write_html(out, items, datas, extra)
    return paths


def _key(item: ItemResult) -> tuple[str, str, str | None]:
    """An item's identity in the reports: (design, top, configuration)."""
    return (item.design, item.top, item.configuration)


def _lcov_name(item: ItemResult) -> str:
    """lcov test names are word characters only."""
    name = f"{item.design}_{item.top}" + (f"_{item.configuration}" if item.configuration else "")
    return "".join(c if c.isalnum() else "_" for c in name)
