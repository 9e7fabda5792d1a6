"""Coverage of a design over its parameter sets: a point counts as covered when any configuration covers it.

Runs in the controller, where the reports are built, from the ``coverage.json`` each configuration's
item left (whichever xdist worker ran it). Points are matched by ``CoveragePoint.key`` (file, line,
column, type, hierarchy, comment): Verilator names a point by its source position and instance path,
not by the build's parameters, so the same statement is the same point in every build, and a point
that exists only in some builds (a wider bus's upper bits, a branch a generate keeps) counts once.
A point stays in the merged score when any configuration keeps it (not waived there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pytest_llm4cov.artifacts import load_coverage_data, points_from_data
from pytest_llm4cov.closure import MAX_LISTED, ItemResult
from pytest_llm4cov.coverage import CoveragePoint, CoverageReport
from pytest_llm4cov.waivers import find_suspects


def configuration_figures(item: ItemResult) -> dict[str, Any]:
    """One configuration's row: name, parameters, score (and raw), metrics, result, kept testbench."""
    return {
        "name": item.configuration, "parameters": item.parameters, "score": item.score,
        "raw_score": item.raw_score, "metrics": item.metrics, "passed": item.passed, "testbench": item.testbench,
    }


def merge_points(datas: Sequence[dict[str, Any]]) -> tuple[list[CoveragePoint], list[CoveragePoint]]:
    """(points in the merged score, proven-unreachable points left out of it), counts summed over builds."""
    counts: dict[tuple, CoveragePoint] = {}
    live: set[tuple] = set()
    dead: set[tuple] = set()
    for data in datas:
        for point, waived in points_from_data(data):
            mine = counts.get(point.key)
            counts[point.key] = point if mine is None else replace(mine, count=mine.count + point.count)
            if waived is None:
                live.add(point.key)
        dead.update(_key(d) for d in data.get("points", []) if d.get("unreachable"))
    kept = [p for k, p in counts.items() if k in live]
    unreachable = [p for k, p in counts.items() if k not in live and k in dead]
    return kept, unreachable


def _key(d: dict[str, Any]) -> tuple:
    return (d["file"], int(d["line"]), int(d.get("column", 0)), d["type"], d.get("hierarchy", ""), d.get("detail", ""))


def merged_figures(datas: Sequence[dict[str, Any]], target: float) -> dict[str, Any]:
    """The merged score (and raw: proven-unreachable points kept), metrics, and what no configuration covered."""
    kept, unreachable = merge_points(datas)
    report = CoverageReport(tuple(kept))
    never = report.uncovered()
    sources: dict[str, str] = {}
    for data in datas:
        sources.update(data.get("sources", {}))
    score = report.score()
    return {
        "score": round(score, 6),
        "raw_score": round(CoverageReport((*kept, *unreachable)).score(), 6),
        "target": target,
        "met_target": score >= target - 1e-9,
        "metrics": {m: s.to_dict() for m, s in report.metrics().items()},
        "uncovered": [
            {"file": p.file, "line": p.line, "type": p.metric, "detail": p.comment, "source": report.source_line(p)}
            for p in never[:MAX_LISTED]
        ],
        # Points no configuration covered whose condition reads only parameters: what to review first.
        "suspects": find_suspects(never, sources, limit=MAX_LISTED),
    }


def attach_merged(out: Path, items: Sequence[ItemResult]) -> list[ItemResult]:
    """The items, those of a design with parameter sets given every configuration's figures and the merge."""
    groups: dict[tuple[str, str], list[ItemResult]] = {}
    for item in items:
        if item.configuration is not None:
            groups.setdefault((item.design, item.top), []).append(item)
    figures: dict[tuple[str, str], tuple[list[dict[str, Any]], dict[str, Any] | None]] = {}
    for key, group in groups.items():
        group.sort(key=lambda i: i.configuration or "")
        found = [(i.configuration, load_coverage_data(out, i.design, i.top, i.configuration)) for i in group]
        datas = [d for _, d in found if d is not None]
        merged = merged_figures(datas, group[0].target) if datas else None
        if merged is not None:
            merged["from"] = [name for name, d in found if d is not None]  # the configurations with coverage
        figures[key] = ([configuration_figures(i) for i in group], merged)
    return [
        replace(i, configurations=figures[(i.design, i.top)][0], merged=figures[(i.design, i.top)][1])
        if i.configuration is not None else i
        for i in items
    ]
