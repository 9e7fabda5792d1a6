"""Functional coverage: the cocotb-coverage points a testbench declares, collected into the observation.

A testbench declares ``CoverPoint`` / ``CoverCross`` points with cocotb-coverage (the built-in policy's
do, from the interface and the RTL; a user's own are collected the same way). The evaluator adds one
more cocotb test module to every run (``EXPORTER``, written into the run's scratch directory): its test
runs after the testbench's and, when the testbench imported cocotb-coverage, writes every point's bins
and hits to ``EXPORT_FILE`` in the same scratch directory, which the evaluator reads back.

The result is the ``functional`` metric: bins hit over bins declared. It is always reported; it enters
the score only when ``--llm4cov-metrics`` names it (then each bin is a coverage point of metric
``functional``), and missed bins are shown to the policies like missed code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_llm4cov.coverage import CoveragePoint, MetricSummary

METRIC = "functional"
EXPORT_MODULE = "_llm4cov_functional"
EXPORT_TEST = "llm4cov_functional_export"
EXPORT_FILE = "llm4cov_functional.json"
MAX_BINS = 2000
#: The file name functional points carry (they have no RTL line).
POINT_FILE = "<functional>"

EXPORTER = f'''"""Written by pytest-llm4cov: exports cocotb-coverage's database after the testbench's tests."""
import json
import sys

import cocotb


@cocotb.test()
async def {EXPORT_TEST}(dut):
    cov = sys.modules.get("cocotb_coverage.coverage")
    if cov is None:
        return
    points = {{}}
    for name in cov.coverage_db:
        item = cov.coverage_db[name]
        if isinstance(item, (cov.CoverPoint, cov.CoverCross)):
            bins = [[repr(k), int(v)] for k, v in list(item.detailed_coverage.items())[:{MAX_BINS}]]
            points[name] = {{"bins": bins, "at_least": int(getattr(item, "at_least", 1) or 1)}}
    with open("{EXPORT_FILE}", "w") as fh:
        json.dump(points, fh)
'''


#: The section ``policy/coverage_section.py`` adds to a model-written testbench: its first and last line
#: start with these, and each test it samples carries the decorator.
SECTION_BEGIN = "# -- Functional coverage, added by pytest-llm4cov"
SECTION_END = "# -- end of the functional coverage section"
SECTION_DECORATOR = "sample_coverage"


def without_coverage_section(source: str) -> str:
    """A testbench as its author wrote it: the added section and its decorators taken out. Prompts show
    this, so the model spends no tokens on the plugin's section and the next testbench gets it again."""
    if SECTION_BEGIN not in source:
        return source
    out: list[str] = []
    inside = at_top = False
    for line in source.splitlines(keepends=True):
        if line.startswith(SECTION_BEGIN):
            inside, at_top = True, not out
            if out and not out[-1].strip():
                out.pop()  # the blank line the section was given before it
        elif inside:
            inside = not line.startswith(SECTION_END)
        elif at_top and not line.strip():
            at_top = False  # the blank line the section was given after it, at the top of the file
        elif line.strip() != f"@{SECTION_DECORATOR}":
            at_top = False
            out.append(line)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Bin:
    point: str
    value: str  # the bin as Python writes it (repr)
    hits: int
    at_least: int = 1

    @property
    def hit(self) -> bool:
        return self.hits >= self.at_least


@dataclass(frozen=True)
class FunctionalCoverage:
    """Every bin of every point a run declared, with its hits."""

    bins: tuple[Bin, ...]

    def summary(self) -> MetricSummary:
        return MetricSummary(sum(b.hit for b in self.bins), len(self.bins))

    def missed(self) -> list[Bin]:
        return [b for b in self.bins if not b.hit]

    def per_point(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for b in self.bins:
            p = out.setdefault(b.point, {"hit": 0, "total": 0, "missed": [], "bins": []})
            p["total"] += 1
            p["hit"] += b.hit
            p["bins"].append([b.value, b.hits])
            if not b.hit:
                p["missed"].append(b.value)
        return out

    def as_points(self) -> tuple[CoveragePoint, ...]:
        """The bins as coverage points of metric ``functional`` (when the score counts them)."""
        return tuple(
            CoveragePoint(POINT_FILE, 0, METRIC, b.hits if b.hit else 0, hierarchy=b.point,
                          comment=f"{b.point} = {b.value}")
            for b in self.bins
        )

    def to_dict(self) -> dict[str, Any]:
        s = self.summary()
        return {"covered": s.covered, "total": s.total, "ratio": round(s.ratio, 6), "points": self.per_point()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FunctionalCoverage:
        """``to_dict``'s output back (a run-log record's): every bin with its hits, hit or missed as logged."""
        bins = []
        for point, item in (data.get("points") or {}).items():
            missed = {str(v) for v in item.get("missed", ())}
            for value, hits in item.get("bins", ()):
                value, hits = str(value), int(hits)
                bins.append(Bin(str(point), value, hits, hits + 1 if value in missed else 1))
        return cls(tuple(bins))


def read_export(path: Path) -> FunctionalCoverage | None:
    """The exporter's file as bins; None when the testbench declared no point (or the file is unusable)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not data:
        return None
    bins = []
    for point, item in sorted(data.items()):
        if not isinstance(item, dict):
            continue
        at_least = item.get("at_least", 1) if isinstance(item.get("at_least", 1), int) else 1
        for entry in item.get("bins", [])[:MAX_BINS]:
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], int):
                bins.append(Bin(str(point), str(entry[0]), entry[1], max(1, at_least)))
    return FunctionalCoverage(tuple(bins)) if bins else None


def missed_lines(functional: FunctionalCoverage | None, limit: int = 12) -> list[str]:
    """One line per point with missed bins, for feedback and prompts."""
    if functional is None:
        return []
    lines = []
    for point, p in functional.per_point().items():
        if p["missed"]:
            shown = ", ".join(p["missed"][:8]) + (", ..." if len(p["missed"]) > 8 else "")
            lines.append(f"{point}: {p['hit']}/{p['total']} bins hit; never seen: {shown}")
    return lines[:limit]


def missed_values(functional: FunctionalCoverage | None, prefix: str) -> dict[str, list[int]]:
    """Missed integer bins of points named ``<anything>.<prefix><signal>``: signal -> values."""
    out: dict[str, list[int]] = {}
    if functional is None:
        return out
    for b in functional.missed():
        tail = b.point.rsplit(".", 1)[-1]
        if tail.startswith(prefix):
            try:
                out.setdefault(tail[len(prefix):], []).append(int(b.value, 0))
            except ValueError:
                continue
    return out


def feedback_block(functional: FunctionalCoverage | None) -> str:
    """Missed bins as a paragraph to append to the uncovered points of a prompt ('' when none)."""
    lines = missed_lines(functional)
    if not lines:
        return ""
    listed = "\n".join(f"- {ln}" for ln in lines)
    return f"\n\nFunctional coverage bins never hit (cocotb-coverage point: bins):\n{listed}"
