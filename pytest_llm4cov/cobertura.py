"""Cobertura XML (coverage-04.dtd) for CI tools: GitLab's coverage visualisation, Jenkins, codecov.

One ``<package>`` per design item, one ``<class>`` per RTL file. Lines follow the lcov writer's rule
(line and branch blocks give hits over their spans; where several claim a line the smallest count
wins); branch and expression points give the ``condition-coverage`` of their line, and a line that
holds only conditions (a continuous assignment) counts as a line hit by its busiest condition. Toggle
and FSM points have no Cobertura form and are left out; so are waived points.
"""

from __future__ import annotations

import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from pytest_llm4cov import __version__
from pytest_llm4cov.coverage import CoveragePoint, _line_hits

DOCTYPE = '<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">'
LINE_METRICS = ("line", "branch")
CONDITION_METRICS = ("branch", "expr")


def _rate(covered: int, total: int) -> str:
    return f"{covered / total:.4f}" if total else "1"


def _file_lines(points: Sequence[CoveragePoint]) -> dict[int, tuple[int, int, int]]:
    """line -> (hits, conditions covered, conditions total)."""
    hits = _line_hits(p for p in points if p.metric in LINE_METRICS)
    conditions: dict[int, list[int]] = {}
    for p in points:
        if p.metric in CONDITION_METRICS:
            conditions.setdefault(p.line, []).append(p.count)
    out = {}
    for n in sorted(set(hits) | set(conditions)):
        counts = conditions.get(n, [])
        line_hits = hits[n] if n in hits else max(counts)
        out[n] = (line_hits, sum(1 for c in counts if c > 0), len(counts))
    return out


def _relative(path: str, root: Path) -> str:
    try:
        rel = os.path.relpath(path, root)
    except ValueError:  # another drive
        return path
    return path if rel.startswith("..") else Path(rel).as_posix()


def to_cobertura(
    packages: Sequence[tuple[str, Sequence[CoveragePoint]]], *, root: Path | None = None, timestamp: float | None = None
) -> str:
    """Cobertura XML text for ``(package name, points)`` pairs; paths relative to ``root`` (default cwd)."""
    root = Path(root or Path.cwd()).resolve()
    top = ET.Element("coverage")
    ET.SubElement(ET.SubElement(top, "sources"), "source").text = str(root)
    packages_el = ET.SubElement(top, "packages")
    totals = [0, 0, 0, 0]  # lines covered, valid, branches covered, valid
    for name, points in packages:
        pkg = ET.SubElement(packages_el, "package", name=name)
        classes = ET.SubElement(pkg, "classes")
        ptotals = [0, 0, 0, 0]
        for file in sorted({p.file for p in points}):
            lines = _file_lines([p for p in points if p.file == file])
            rel = _relative(file, root)
            cls = ET.SubElement(classes, "class", name=rel, filename=rel)
            ET.SubElement(cls, "methods")
            lines_el = ET.SubElement(cls, "lines")
            ctotals = [0, 0, 0, 0]
            for n, (hits, cond_hit, cond_total) in lines.items():
                attrs = {"number": str(n), "hits": str(hits), "branch": "true" if cond_total else "false"}
                if cond_total:
                    attrs["condition-coverage"] = f"{round(100 * cond_hit / cond_total)}% ({cond_hit}/{cond_total})"
                ET.SubElement(lines_el, "line", attrs)
                ctotals[0] += hits > 0
                ctotals[1] += 1
                ctotals[2] += cond_hit
                ctotals[3] += cond_total
            cls.set("line-rate", _rate(ctotals[0], ctotals[1]))
            cls.set("branch-rate", _rate(ctotals[2], ctotals[3]))
            cls.set("complexity", "0")
            ptotals = [a + b for a, b in zip(ptotals, ctotals, strict=True)]
        pkg.set("line-rate", _rate(ptotals[0], ptotals[1]))
        pkg.set("branch-rate", _rate(ptotals[2], ptotals[3]))
        pkg.set("complexity", "0")
        totals = [a + b for a, b in zip(totals, ptotals, strict=True)]
    top.set("line-rate", _rate(totals[0], totals[1]))
    top.set("branch-rate", _rate(totals[2], totals[3]))
    top.set("lines-covered", str(totals[0]))
    top.set("lines-valid", str(totals[1]))
    top.set("branches-covered", str(totals[2]))
    top.set("branches-valid", str(totals[3]))
    top.set("complexity", "0")
    top.set("version", f"pytest-llm4cov {__version__}")
    top.set("timestamp", str(int((time.time() if timestamp is None else timestamp) * 1000)))
    ET.indent(top)
    return '<?xml version="1.0" ?>\n' + DOCTYPE + "\n" + ET.tostring(top, encoding="unicode") + "\n"
