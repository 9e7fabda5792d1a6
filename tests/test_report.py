"""The run's reports: the terminal summary, report.json, Cobertura XML, merged lcov, progress, end to end."""

from __future__ import annotations

import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import DESIGNS
from pytest_llm4cov.artifacts import item_dir, write_coverage_data
from pytest_llm4cov.closure import ItemResult
from pytest_llm4cov.cobertura import to_cobertura
from pytest_llm4cov.coverage import CoveragePoint
from pytest_llm4cov.progress import Progress, choose_mode, format_step, in_ci
from pytest_llm4cov.report import render_summary, totals, write_report

FIFO_V = """\
module fifo #(parameter DEPTH = 4) (
    input  wire clk,
    input  wire push,
    input  wire pop,
    output reg  full
);
    always @(posedge clk) begin
        if (push && !pop) begin
            full <= 1'b1;
        end else if (DEPTH == 0) begin
            full <= 1'b0;
        end
    end
    assign dbg = push | pop;
endmodule
"""


def _point(file, line, metric, count, comment="", span=None, waived=None, hierarchy="fifo"):
    return {"file": str(file), "line": line, "type": metric, "count": count, "column": 1, "hierarchy": hierarchy,
            "detail": comment, "span": list(span) if span else None, "waived": waived}


def sample_run(tmp_path: Path) -> tuple[Path, list[ItemResult]]:
    """An output directory as a run leaves it: two items with coverage.json, one without."""
    out = tmp_path / "llm4cov-out"
    rtl = tmp_path / "rtl" / "fifo" / "fifo.v"
    rtl.parent.mkdir(parents=True)
    rtl.write_text(FIFO_V)
    points = [
        _point(rtl, 7, "line", 20, "block", (7, 7)),
        _point(rtl, 8, "branch", 12, "if", (8, 9)),
        _point(rtl, 8, "branch", 8, "else"),
        _point(rtl, 10, "line", 0, "elsif", (10, 11)),
        _point(rtl, 8, "expr", 3, "(push==1 && pop==0) => 1"),
        _point(rtl, 8, "expr", 0, "(push==0) => 0"),
        _point(rtl, 3, "toggle", 4, "push:0->1"),
        _point(rtl, 3, "toggle", 4, "push:1->0"),
        _point(rtl, 5, "toggle", 1, "full:0->1"),
        _point(rtl, 5, "toggle", 0, "full:1->0"),
        _point(rtl, 14, "expr", 0, "(push==1) => 1", waived="debug only"),
    ]
    suspects = [{"file": str(rtl), "line": 10, "type": "line", "detail": "elsif",
                 "source": "end else if (DEPTH == 0) begin",
                 "why": "never covered, and depends only on parameters or constants: DEPTH == 0"}]
    write_coverage_data(out, "fifo", "fifo", {"points": points, "sources": {str(rtl): FIFO_V},
                                              "waivers": [], "suspects": suspects})
    tb = item_dir(out, "fifo", "fifo") / "tb_fifo.py"
    tb.write_text("import cocotb\n\n@cocotb.test()\nasync def push_then_pop(dut):\n    pass  # <fifo check>\n")
    alu_v = tmp_path / "rtl" / "alu" / "alu.v"
    alu_v.parent.mkdir(parents=True)
    alu_v.write_text("module alu(input a, output y);\n    assign y = ~a;\nendmodule\n")
    write_coverage_data(out, "alu", "alu", {
        "points": [_point(alu_v, 2, "expr", 5, "(a==0) => 1", hierarchy="alu"),
                   _point(alu_v, 2, "expr", 5, "(a==1) => 0", hierarchy="alu")],
        "sources": {str(alu_v): alu_v.read_text()}, "waivers": [], "suspects": []})
    common = {"seed": 0, "outcome": "passed", "stopped": "step budget spent", "wall_s": 1.0, "policy": "builtin"}
    items = [
        ItemResult(design="fifo", top="fifo", passed=False, score=0.6875, target=1.0,
                   metrics={"line": {"covered": 1, "total": 2, "ratio": 0.5},
                            "branch": {"covered": 2, "total": 2, "ratio": 1.0},
                            "expr": {"covered": 1, "total": 2, "ratio": 0.5},
                            "toggle": {"covered": 3, "total": 4, "ratio": 0.75}},
                   steps=3, testbench=str(tb), curve=[0.5, 0.6875, 0.6875], step_scores=[0.5, 0.6875, 0.4],
                   uncovered=[{"file": str(rtl), "line": 10, "type": "line", "detail": "elsif", "source": ""}],
                   waived=[{"file": str(rtl), "line": 14, "type": "expr", "detail": "(push==1) => 1",
                            "reason": "debug only"}],
                   unused_waivers=[{"file": "fifo.v", "line": 99, "reason": "stale"}],
                   suspects=suspects, **common),
        ItemResult(design="alu", top="alu", passed=True, score=1.0, target=1.0,
                   metrics={"expr": {"covered": 2, "total": 2, "ratio": 1.0}}, steps=1, testbench="",
                   curve=[1.0], step_scores=[1.0], **common),
        ItemResult(design="broken", top="broken", passed=False, score=0.0, target=0.9, metrics={}, steps=2,
                   testbench="", curve=[0.0, 0.0], error="the RTL did not build",
                   uncovered=[{"file": "broken.v", "line": 3, "type": "line", "detail": "", "source": "x <= 1;"}],
                   **{**common, "outcome": "build_failed"}),
    ]
    return out, items


# -- terminal summary and report.json --------------------------------------------------------------


def test_summary_shows_waivers_and_review(tmp_path):
    _, items = sample_run(tmp_path)
    buf = io.StringIO()
    render_summary(items, buf, show_paths=False)
    text = buf.getvalue()
    assert "fifo" in text and "(1 waived)" in text
    assert "pass rate 33.3% (1/3), average coverage 56.2%" in text
    assert "for review, possibly unreachable points (not waived): fifo (1)" in text
    assert "waivers that matched no point: fifo" in text
    assert totals(items)["designs"] == 3


def test_write_report_writes_all_four_files(tmp_path):
    out, items = sample_run(tmp_path)
    paths = write_report(out, items, {"policy": "builtin", "seed": 0})
    assert {p.name for p in paths.values()} == {"report.json", "report.html", "cobertura.xml", "coverage.info"}
    assert all(p.is_file() and p.parent == out for p in paths.values())
    data = json.loads(paths["json"].read_text())
    fifo = next(i for i in data["items"] if i["design"] == "fifo")
    assert fifo["waived"][0]["reason"] == "debug only" and fifo["suspects"][0]["line"] == 10
    assert fifo["step_scores"] == [0.5, 0.6875, 0.4]
    # lcov: one record per item with coverage.json, waived points left out
    lcov = paths["lcov"].read_text()
    assert lcov.count("end_of_record") == 2 and "TN:fifo_fifo" in lcov and "TN:alu_alu" in lcov
    assert "BRDA:14," not in lcov and "DA:10,0" in lcov and "DA:9,12" in lcov
    # the curve is saved beside the item's artifacts
    png = item_dir(out, "fifo", "fifo") / "coverage_curve.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (item_dir(out, "broken", "broken") / "coverage_curve.png").exists()  # no folder, no file


def test_cobertura_structure(tmp_path, monkeypatch):
    out, items = sample_run(tmp_path)
    monkeypatch.chdir(tmp_path)
    write_report(out, items)
    text = (out / "cobertura.xml").read_text()
    assert text.startswith('<?xml version="1.0" ?>\n<!DOCTYPE coverage SYSTEM')
    root = ET.fromstring(text.split("\n", 2)[2])
    assert root.tag == "coverage"
    for attr in ("line-rate", "branch-rate"):
        assert 0.0 <= float(root.get(attr)) <= 1.0
    assert [s.text for s in root.iter("source")] == [str(tmp_path.resolve())]
    packages = {p.get("name"): p for p in root.iter("package")}
    assert set(packages) == {"alu", "fifo"}  # broken kept no coverage.json
    classes = {c.get("filename"): c for c in root.iter("class")}
    assert set(classes) == {"rtl/fifo/fifo.v", "rtl/alu/alu.v"}  # one class per file, relative to the root
    for c in classes.values():
        assert 0.0 <= float(c.get("line-rate")) <= 1.0 and 0.0 <= float(c.get("branch-rate")) <= 1.0
        assert c.find("methods") is not None and c.find("lines") is not None
    lines = {int(ln.get("number")): ln for ln in classes["rtl/fifo/fifo.v"].iter("line")}
    # 7: block; 8-9: the if's span; 10-11: the never-taken elsif; 14 is waived and absent
    assert sorted(lines) == [7, 8, 9, 10, 11]
    assert lines[8].get("branch") == "true" and lines[8].get("condition-coverage") == "75% (3/4)"
    assert lines[10].get("hits") == "0" and lines[9].get("branch") == "false"
    assert root.get("lines-valid") == "6" and root.get("lines-covered") == "4"  # 5 fifo lines + alu's line 2
    assert root.get("branches-valid") == "6" and root.get("branches-covered") == "5"
    assert float(root.get("line-rate")) == pytest.approx(4 / 6, abs=1e-4)
    assert float(classes["rtl/alu/alu.v"].get("line-rate")) == 1.0  # a line of conditions only counts as hit


def test_cobertura_without_points_is_still_valid():
    root = ET.fromstring(to_cobertura([], root=Path("/")).split("\n", 2)[2])
    assert root.get("line-rate") == "1" and root.get("lines-valid") == "0" and root.find("packages") is not None
    point = CoveragePoint("/elsewhere/x.v", 3, "line", 0, span=(3, 4))
    root = ET.fromstring(to_cobertura([("x", [point])], root=Path("/work")).split("\n", 2)[2])
    assert [c.get("filename") for c in root.iter("class")] == ["/elsewhere/x.v"]  # outside the root: absolute


# -- progress ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tty", "ci", "verbose", "worker", "mode"),
    [
        (True, False, False, False, "live"),
        (True, False, True, False, "live"),
        (True, True, False, False, "off"),
        (True, True, True, False, "lines"),
        (False, False, True, False, "lines"),
        (False, False, False, False, "off"),
        (True, False, True, True, "off"),
    ],
)
def test_progress_mode(tty, ci, verbose, worker, mode):
    assert choose_mode(tty=tty, ci=ci, verbose=verbose, worker=worker) == mode


def test_in_ci_and_step_text():
    assert in_ci({"CI": "true"}) and in_ci({"CI": "1"}) and not in_ci({}) and not in_ci({"CI": "false"})
    assert format_step("fifo::fifo", 2, 8, "passed", 0.625, 0.875) == (
        "fifo::fifo step 3/8: passed, score 62.5%, best 87.5%"
    )
    assert format_step("a::a", 4, 4, "passed", 1, 1).startswith("a::a step 5/5")  # incremental: one extra step


class FakeWriter:
    fullwidth = 100
    width_of_current_line = 30

    def __init__(self) -> None:
        self._file = io.StringIO()

    def flush(self) -> None:
        pass


class FakeReporter:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write_line(self, line: str) -> None:
        self.lines.append(line)


def test_live_progress_draws_after_the_line_and_erases():
    tw = FakeWriter()
    shown = Progress("live", FakeReporter(), tw)
    shown.start("fifo::fifo", 4)
    shown.step("fifo::fifo", 0, 4, "passed", 0.5, 0.5)
    shown.finish()
    text = tw._file.getvalue()
    assert text.count("\x1b7") == 2 and text.count("\x1b8") == 2  # cursor saved and restored each time
    assert "[llm4cov fifo::fifo step 1/4: running]" in text
    assert "[llm4cov fifo::fifo step 2/4, best 50.0% (step 1: passed, 50.0%)]" in text
    assert text.endswith("\x1b[K")
    for chunk in text.split("\x1b7")[1:]:
        visible = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", chunk.split("\x1b8")[0])
        assert len(visible) <= 100 - 30  # never wraps the terminal line


def test_plain_progress_lines_and_off():
    reporter = FakeReporter()
    Progress("lines", reporter, FakeWriter()).step("fifo::fifo", 1, 4, "tests_failed", 0.25, 0.5)
    assert reporter.lines == ["  llm4cov fifo::fifo step 2/4: tests_failed, score 25.0%, best 50.0%"]
    tw = FakeWriter()
    quiet = Progress("off", FakeReporter(), tw)
    quiet.start("x::x", 2)
    quiet.step("x::x", 0, 2, "passed", 1.0, 1.0)
    quiet.finish()
    assert tw._file.getvalue() == "" and Progress("live").mode == "off"  # no terminal: nothing


# -- end to end through the plugin --------------------------------------------------------------------


@pytest.fixture
def project(pytester, build_cache, monkeypatch):
    monkeypatch.setenv("LLM4COV_CACHE_DIR", str(build_cache))
    return pytester


def copy_design(pytester, name: str) -> Path:
    target = pytester.path / "rtl" / name
    shutil.copytree(DESIGNS / name, target, ignore=shutil.ignore_patterns("reference"))
    return target


@pytest.mark.simulator
def test_default_run_writes_every_report(project, monkeypatch):
    """A plain `pytest --llm4cov` (CI set, -v) writes all reports and prints plain progress lines."""
    monkeypatch.setenv("CI", "true")
    copy_design(project, "counter4")
    result = project.runpytest_subprocess("--llm4cov", "rtl", "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*counter4.v::counter4*",
        "  llm4cov counter4::counter4 step 1/*: passed, score 100.0%, best 100.0%",
        "report: llm4cov-out/report.html (report.json, cobertura.xml, coverage.info)",
    ])
    out = project.path / "llm4cov-out"
    for name in ("report.json", "report.html", "cobertura.xml", "coverage.info"):
        assert (out / name).is_file(), name
    item = out / "counter4" / "counter4"
    data = json.loads((item / "coverage.json").read_text())
    assert data["schema"] == 1 and {p["type"] for p in data["points"]} >= {"line", "toggle"}
    assert (item / "coverage_curve.png").is_file()
    page = (out / "report.html").read_text()
    assert 'id="summary"' in page and 'data-status="covered"' in page and "count &lt;= count + 4&#x27;d1;" in page
    root = ET.fromstring((out / "cobertura.xml").read_text().split("\n", 2)[2])
    assert root.get("line-rate") == "1.0000"
    # quiet in CI without -v: no progress lines
    result = project.runpytest_subprocess("--llm4cov", "rtl", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*llm4cov counter4::counter4 step*")


@pytest.mark.simulator
def test_reports_under_xdist_have_every_item_points(project):
    """Workers write coverage.json; the controller's HTML and Cobertura show every design's lines."""
    copy_design(project, "counter4")
    copy_design(project, "mode_fsm")
    project.runpytest_subprocess("--llm4cov", "rtl", "-p", "no:cacheprovider", "-n", "2").assert_outcomes(passed=2)
    out = project.path / "llm4cov-out"
    page = (out / "report.html").read_text()
    assert page.count('<table class="src"') == 2
    assert 'id="d-counter4-counter4-L17"' in page and 'id="d-mode_fsm-mode_fsm-L1"' in page
    root = ET.fromstring((out / "cobertura.xml").read_text().split("\n", 2)[2])
    assert {p.get("name") for p in root.iter("package")} == {"counter4", "mode_fsm"}
    assert (out / "coverage.info").read_text().count("end_of_record") == 2


# -- the CI examples in docs/ -------------------------------------------------------------------------


def test_ci_examples_run_the_regression_and_read_our_files(tmp_path):
    import yaml  # the test extra declares PyYAML: no skip that could hide a broken CI example

    root = DESIGNS.parent
    github = yaml.safe_load((root / "docs" / "ci-github.yml").read_text())
    runs = " ".join(step.get("run", "") for step in github["jobs"]["coverage"]["steps"])
    assert "pytest llm4cov-out/" in runs and "pytest --llm4cov rtl/" in runs and "report.json" in runs
    gitlab = yaml.safe_load((root / "docs" / "ci-gitlab.yml").read_text())["coverage"]
    assert any(line.startswith("pytest llm4cov-out/") for line in gitlab["script"])
    assert gitlab["artifacts"]["reports"]["coverage_report"] == {
        "coverage_format": "cobertura", "path": "llm4cov-out/cobertura.xml"}
    # GitLab's coverage regex finds the figure in our summary line
    _, items = sample_run(tmp_path)
    buf = io.StringIO()
    render_summary(items, buf)
    found = re.search(gitlab["coverage"].strip("/"), buf.getvalue())
    assert found and found.group(1) == "56.2"
    assert "docs/ci-github.yml" in (root / "README.md").read_text() and (root / "docs" / "report.png").is_file()
