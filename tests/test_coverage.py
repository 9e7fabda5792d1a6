"""coverage.dat parsing, scoring and lcov export (pure Python, no simulator)."""

from __future__ import annotations

import pytest

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.coverage import CoverageReport, parse_coverage_text, parse_point, to_lcov


def point_line(f, line, t, count, comment="c", span=None, col=1):
    fields = {"f": f, "l": str(line), "n": str(col), "t": t, "page": f"v_{t}/top", "o": comment, "h": "top"}
    if span:
        fields["S"] = span
    body = "\x01".join(f"{k}\x02{v}" for k, v in fields.items())
    return f"C '\x01{body}' {count}"


SAMPLE = "\n".join(
    [
        "# SystemC::Coverage-3",
        point_line("/rtl/a.v", 3, "line", 5, "block", "3-5"),
        point_line("/rtl/a.v", 7, "line", 0, "elsif", "7-8"),
        point_line("/rtl/a.v", 9, "branch", 4, "if", "9-10"),
        point_line("/rtl/a.v", 9, "branch", 0, "else", col=2),
        point_line("/rtl/a.v", 1, "toggle", 1, "x:0->1"),
        point_line("/rtl/a.v", 1, "toggle", 1, "x:1->0"),
        point_line("/rtl/a.v", 1, "toggle", 0, "y:0->1"),
        point_line("/rtl/a.v", 1, "toggle", 0, "y:1->0"),
        point_line("/rtl/b.v", 2, "line", 1, "block"),
    ]
)


def test_parse_fields():
    p = parse_point(point_line("/rtl/a.v", 12, "expr", 7, "(a==1) => 1", col=9))
    assert (p.file, p.line, p.metric, p.count, p.column, p.hierarchy, p.comment) == (
        "/rtl/a.v", 12, "expr", 7, 9, "top", "(a==1) => 1"
    )
    assert parse_point("# SystemC::Coverage-3") is None


def test_metrics_and_score_by_hand():
    rep = parse_coverage_text(SAMPLE)
    m = rep.metrics()
    assert list(m) == ["line", "branch", "toggle"]
    assert (m["line"].covered, m["line"].total) == (2, 3)
    assert (m["branch"].covered, m["branch"].total) == (1, 2)
    assert (m["toggle"].covered, m["toggle"].total) == (2, 4)
    assert rep.score() == pytest.approx((2 / 3 + 1 / 2 + 2 / 4) / 3)


def test_restrict_to_dut_files():
    rep = parse_coverage_text(SAMPLE).restrict(["/rtl/b.v"])
    assert rep.metrics()["line"].total == 1
    assert rep.score() == 1.0
    assert CoverageReport().score() == 0.0


def test_uncovered_sorted_by_file_and_line():
    unc = parse_coverage_text(SAMPLE).uncovered()
    assert [(u.line, u.metric) for u in unc] == [(1, "toggle"), (1, "toggle"), (7, "line"), (9, "branch")]


def test_merge_sums_counts():
    rep = parse_coverage_text(SAMPLE)
    merged = rep.merged(rep)
    assert sum(p.count for p in merged.points) == 2 * sum(p.count for p in rep.points)
    assert len(merged.points) == len(rep.points)


def test_malformed_line_names_file_and_line():
    with pytest.raises(Llm4covError, match=r"cov\.dat:2: malformed coverage point"):
        parse_coverage_text("# header\nC 'garbage-without-end 3\n", origin="cov.dat")


def test_lcov_records():
    text = to_lcov(parse_coverage_text(SAMPLE))
    a = text.split("end_of_record")[0]
    assert "SF:/rtl/a.v" in a
    # the block at 3 spans 3-5; the elsif block at 7-8 is unhit; the branch if spans 9-10
    for n, hits in ((3, 5), (4, 5), (5, 5), (7, 0), (8, 0), (10, 4)):
        assert f"DA:{n},{hits}\n" in a
    assert "DA:9,0" in a  # the else branch at line 9 was never taken: the line shows as not fully hit
    assert "BRDA:9,0,0,4" in a and "BRDA:9,0,1,-" in a
    assert "BRF:2\nBRH:1" in a
    assert text.count("end_of_record") == 2
