"""Parameter sets: config parsing and validation, the merge over configurations, and the plugin end to end."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from conftest import TEST_DATA, report
from pytest_llm4cov import Llm4covError
from pytest_llm4cov.configurations import ParameterSet, check_configuration, parse_parameter_sets
from pytest_llm4cov.design import load_config, load_design
from pytest_llm4cov.interface import extract_interface
from pytest_llm4cov.artifacts import write_coverage_data
from pytest_llm4cov.closure import ItemResult
from pytest_llm4cov.merge import attach_merged, merged_figures
from pytest_llm4cov.report import render_summary, write_report

ORIGIN = "rtl/fifo/llm4cov.toml"
GATE = TEST_DATA / "param_gate"


def test_parse_parameter_sets_names_and_defaults():
    sets = parse_parameter_sets([{"name": "narrow", "WIDTH": 1}, {"WIDTH": 8, "MODE": "fast"}, {}], ORIGIN)
    assert [s.name for s in sets] == ["narrow", "WIDTH8-MODEfast", "default"]
    assert sets[0].parameters == {"WIDTH": 1} and sets[0].origin == ORIGIN
    assert sets[1].describe() == '{WIDTH = 8, MODE = "fast"}'


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"WIDTH": 1}, "parameter_sets must be a list of tables"),
        ([], "parameter_sets is empty (list at least one set"),
        ([1], "parameter set #1 must be a table"),
        ([{"WIDTH": [1, 2]}], "parameter set #1: WIDTH must be a number, string or boolean"),
        ([{"name": "a b"}], "parameter set #1: name must be letters, digits"),
        ([{"name": "x", "W": 1}, {"name": "x", "W": 2}], "parameter set #2: the name 'x' is used twice"),
    ],
)
def test_parse_parameter_sets_errors_are_one_line_naming_the_file(raw, message):
    with pytest.raises(Llm4covError) as err:
        parse_parameter_sets(raw, ORIGIN)
    text = str(err.value)
    assert text.startswith(f"{ORIGIN}: ") and message in text and "\n" not in text


def test_load_config_reads_the_sets_over_common_parameters(tmp_path):
    shutil.copytree(GATE, tmp_path / "gate")
    cfg = load_config(tmp_path / "gate")
    assert [s.name for s in cfg.parameter_sets] == ["plain", "invert"]
    assert cfg.parameters == {"WIDTH": 4}
    design = load_design(tmp_path / "gate", configuration="invert")
    # the set's values override the common ones, in the build, the interface and the item's id
    assert dict(design.build.parameters) == {"INVERT": "1", "WIDTH": "2"}
    assert design.interface.port("d").width == 2 and design.id == "gate::param_gate[invert]"
    (tmp_path / "gate" / "llm4cov.toml").write_text("parameter_sets = []\n")
    with pytest.raises(Llm4covError, match=r"llm4cov.toml: parameter_sets is empty"):
        load_config(tmp_path / "gate")


def _check(tmp_path: Path, pset: ParameterSet, common=None) -> None:
    check_configuration(pset, common or {}, "div",
                        lambda params: extract_interface([tmp_path], parameters=params))


def test_a_set_naming_no_parameter_or_not_elaborating_is_an_error(tmp_path):
    (tmp_path / "div.v").write_text(
        "module div #(parameter width = 1, parameter depth = 2) (input clk, input [7:0] a, output [7:0] q);\n"
        "  localparam integer STEPS = 8 / width;\n"
        "  reg [STEPS-1:0] r;\n"
        "  always @(posedge clk) r <= a[STEPS-1:0];\n"
        "  assign q = r;\n"
        "endmodule\n"
    )
    _check(tmp_path, ParameterSet("ok", {"width": 2}, ORIGIN))
    with pytest.raises(Llm4covError) as err:
        _check(tmp_path, ParameterSet("typo", {"widht": 2}, ORIGIN))
    assert str(err.value) == (f"{ORIGIN}: parameter set 'typo': 'widht' is not a parameter of div "
                              "(its parameters: width, depth)")
    with pytest.raises(Llm4covError) as err:
        _check(tmp_path, ParameterSet("zero", {"depth": 4, "width": 0}, ORIGIN))
    text = str(err.value)
    assert text.startswith(f"{ORIGIN}: parameter set 'zero' does not elaborate with width = 0: ")
    assert f"{tmp_path / 'div.v'}:3: " in text and "\n" not in text and "fix the RTL" not in text


def test_a_bad_set_fails_collection_naming_the_file(pytester):
    folder = pytester.path / "rtl" / "gate"
    shutil.copytree(GATE, folder)
    (folder / "llm4cov.toml").write_text('top = "param_gate"\nparameter_sets = [{name = "a", INVERTT = 1}]\n')
    result = pytester.runpytest_subprocess("--llm4cov", "rtl", "--collect-only", "-q", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*rtl/gate/llm4cov.toml: parameter set 'a': 'INVERTT' is not a parameter of "
                                 "param_gate (its parameters: INVERT, PARITY, DEBUG, WIDTH)"])
    assert result.ret != 0


def _pt(line, metric, count, detail="", waived=None, unreachable=False):
    d = {"file": "/rtl/gate.v", "line": line, "type": metric, "count": count, "column": 1, "hierarchy": "gate",
         "detail": detail, "span": None, "waived": waived}
    return {**d, "unreachable": True} if unreachable else d


def test_merge_counts_a_point_covered_by_any_configuration():
    text = "module gate;\n  if (MODE == 1) a;\n  b;\n  c;\n  d;\n  parameter MODE = 0;\n"
    a = {"points": [_pt(2, "branch", 0, "if"), _pt(3, "line", 5), _pt(4, "line", 0),
                    _pt(5, "toggle", 0, "spare:0->1", waived="unreachable: tied", unreachable=True)],
         "sources": {"/rtl/gate.v": text}}
    b = {"points": [_pt(2, "branch", 3, "if"), _pt(3, "line", 0), _pt(4, "line", 0, waived="by hand"),
                    _pt(4, "toggle", 1, "w[7]:0->1")],  # a wider bus's bit: in one build only, counted once
         "sources": {}}
    m = merged_figures([a, b], 1.0)
    assert m["metrics"] == {"line": {"covered": 1, "total": 2, "ratio": 0.5},
                            "branch": {"covered": 1, "total": 1, "ratio": 1.0},
                            "toggle": {"covered": 1, "total": 1, "ratio": 1.0}}
    assert m["score"] == pytest.approx((0.5 + 1 + 1) / 3) and not m["met_target"]
    # raw keeps the point proven unreachable in every configuration that has it
    assert m["raw_score"] == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert [(u["line"], u["type"]) for u in m["uncovered"]] == [(4, "line")]
    assert m["suspects"] == []
    a["points"][0]["count"] = 0
    b["points"][0]["count"] = 0
    m = merged_figures([a, b], 1.0)
    assert [(s["line"], s["type"]) for s in m["suspects"]] == [(2, "branch")]
    assert "depends only on parameters or constants: MODE == 1" in m["suspects"][0]["why"]


def test_the_controller_merges_the_configurations_coverage_files(tmp_path):
    """What the plugin does after its items ran: coverage.json per configuration -> report rows and files."""
    out = tmp_path / "llm4cov-out"
    text = "module gate;\n  if (MODE == 1) a;\n  else b;\n  parameter MODE = 0;\n"
    ways = {"one": (5, 0), "zero": (0, 7)}
    items = []
    for name, (taken, other) in ways.items():
        points = [_pt(2, "branch", taken, "if"), _pt(3, "branch", other, "else"),
                  _pt(4, "toggle", 0, "spare:0->1", waived="unreachable: tied", unreachable=True)]
        write_coverage_data(out, "gate", "gate", {"points": points, "sources": {"/rtl/gate.v": text}}, name)
        items.append(ItemResult(
            design="gate", top="gate", passed=True, score=0.5, target=0.5, raw_score=0.25, configuration=name,
            parameters={"MODE": int(name == "one")}, metrics={"branch": {"covered": 1, "total": 2, "ratio": 0.5}},
            steps=1, seed=0, testbench="", outcome="passed", stopped="step budget spent", wall_s=1.0,
            policy="builtin"))
    plain = ItemResult(design="alu", top="alu", passed=True, score=1.0, target=1.0, metrics={}, steps=1, seed=0,
                       testbench="", outcome="passed", stopped="done", wall_s=1.0, policy="builtin")
    merged_items = attach_merged(out, [*items, plain])
    assert merged_items[-1] == plain  # a design without parameter sets is left as it is
    buf = io.StringIO()
    render_summary(merged_items, buf, show_paths=False)
    rows = buf.getvalue().splitlines()
    assert rows[0].endswith(" score    raw target  result")
    assert [r.split()[1] for r in rows[1:5]] == ["alu", "gate[one]", "gate[zero]", "gate[merged]"]
    assert rows[4].split()[2:6] == ["100.0%", "100.0%", "50.0%", "50%"] and "(any of 2 configurations" in rows[4]
    write_report(out, merged_items)
    data = json.loads((out / "report.json").read_text())
    one = next(i for i in data["items"] if i["configuration"] == "one")
    assert [c["name"] for c in one["configurations"]] == ["one", "zero"]
    assert one["merged"]["score"] == 1.0 and one["merged"]["raw_score"] == 0.5
    assert one["merged"]["metrics"]["branch"] == {"covered": 2, "total": 2, "ratio": 1.0}
    page = (out / "report.html").read_text()
    assert "gate::gate: 2 parameter sets" in page and "covered by any of one, zero" in page


@pytest.mark.simulator
@pytest.mark.slow  # two builds and two closures: ~70 s on 2 loaded cores
def test_two_parameter_sets_cover_more_together(project):
    shutil.copytree(GATE, project.path / "rtl" / "param_gate")
    result = project.runpytest_subprocess("--llm4cov", "rtl", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([
        "*score    raw target  result",
        "param_gate *param_gate[[]invert[]] *PASS  llm4cov-out/param_gate/param_gate/invert/tb_param_gate.py*",
        "param_gate *param_gate[[]plain[]] *PASS  llm4cov-out/param_gate/param_gate/plain/tb_param_gate.py*",
        "param_gate *param_gate[[]merged[]] *(any of 2 configurations; 1 for review)",
    ])
    data = report(project)
    items = {i["configuration"]: i for i in data["items"]}
    assert set(items) == {"invert", "plain"}
    assert items["invert"]["parameters"] == {"WIDTH": 2, "INVERT": 1}
    plain, invert = items["plain"], items["invert"]
    assert plain["configurations"] == invert["configurations"] and plain["merged"] == invert["merged"]
    rows = {c["name"]: c for c in plain["configurations"]}
    assert rows["plain"]["score"] == plain["score"] and rows["invert"]["metrics"] == invert["metrics"]
    merged = plain["merged"]
    assert merged["from"] == ["invert", "plain"]
    assert merged["score"] > max(plain["score"], invert["score"])
    # each set alone takes one way of the INVERT branch; together they take both
    assert plain["metrics"]["branch"]["covered"] < merged["metrics"]["branch"]["covered"]
    assert invert["metrics"]["branch"]["covered"] < merged["metrics"]["branch"]["covered"]
    # DEBUG is on in no set: its branch is what no configuration reaches, listed with the reason
    assert [(s["source"], s["type"]) for s in merged["suspects"]] == [("if (DEBUG) begin", "branch")]
    # the tied-off `spare` is proven unreachable: out of the score, kept in the raw figure beside it
    assert merged["raw_score"] < merged["score"] and plain["raw_score"] < plain["score"]
    out = project.path / "llm4cov-out" / "param_gate" / "param_gate"
    assert (out / "plain" / "test_param_gate_plain_coverage.py").is_file()
    page = (project.path / "llm4cov-out" / "report.html").read_text()
    assert "param_gate::param_gate: 2 parameter sets" in page and "covered by any of invert, plain" in page
