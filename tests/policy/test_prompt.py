"""The prompt: LLM4Cov's four-message window, routed feedback, a stable prefix and an honest budget."""

from __future__ import annotations

import ast
from dataclasses import replace

import pytest

from conftest import DESIGNS, ROOT
from pytest_llm4cov.coverage import CoveragePoint, CoverageReport
from pytest_llm4cov.design import load_design
from pytest_llm4cov.observation import Observation, Outcome, TestResult
from pytest_llm4cov.prompt import (
    PROMPT_VERSION,
    example_testbench,
    group_uncovered,
    render_prompt,
    render_system,
    template,
)
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench

TB = Testbench("import cocotb\n\n@cocotb.test()\nasync def test_a(dut):\n    pass\n", "test_counter4")


@pytest.fixture(scope="module")
def counter4():
    return load_design(DESIGNS / "counter4")


def passed_obs(design, points) -> Observation:
    return Observation(Outcome.PASSED, built=True, tests=(TestResult("test_a", True),), coverage=CoverageReport(points))


def counter_points(design) -> tuple[CoveragePoint, ...]:
    f = str(design.folder / "counter4.v")
    return (
        CoveragePoint(f, 15, "line", 0, comment="elsif", span=(15, 16)),
        CoveragePoint(f, 18, "line", 5),
        CoveragePoint(f, 17, "branch", 0, comment="if"),
        CoveragePoint(f, 17, "branch", 3, comment="else"),
        CoveragePoint(f, 10, "expr", 0, comment="(en==1 && (count == 4'hf)==1) => 1"),
        *(CoveragePoint(f, 7, "toggle", 0, comment=f"count[{i}]:0->1") for i in range(4)),
        *(CoveragePoint(f, 7, "toggle", 1, comment=f"count[{i}]:1->0") for i in range(4)),
    )


def test_first_step_is_system_and_task(counter4):
    prompt = render_prompt(State(counter4))
    assert [m["role"] for m in prompt.messages] == ["system", "user"]
    system, task = (m["content"] for m in prompt.messages)
    assert "one complete cocotb test module in a single fenced ```python block" in system
    assert 'Clock(dut.clk, 10, unit="ns")' in system
    assert "counter4.v" in task
    assert "10|     assign wrap = en && (count == 4'hF);" in task
    assert "count enable" in task  # the spec
    assert "- reset: `rst_n`, active low" in task
    assert "- outputs: `count` (4 bits), `wrap` (1 bit)" in task
    assert prompt.version == PROMPT_VERSION
    assert prompt.cuts == ()


def test_no_spec_is_said(counter4):
    prompt = render_prompt(State(replace(counter4, spec_text="")))
    assert "No spec: infer the intended behaviour from the RTL." in prompt.messages[1]["content"]


def test_success_feedback_lists_uncovered_by_value_and_asks_for_coverage(counter4):
    obs = passed_obs(counter4, counter_points(counter4))
    prompt = render_prompt(State(counter4, TB, obs, 0))
    assert [m["role"] for m in prompt.messages] == ["system", "user", "assistant", "user"]
    assert prompt.messages[2]["content"] == "```python\n" + TB.source.rstrip() + "\n```"
    feedback = prompt.messages[3]["content"]
    assert "Improve coverage" in feedback
    assert "line 2/3" in feedback or "line 1/2" in feedback
    lines = [ln for ln in feedback.splitlines() if ln.startswith("- counter4.v:")]
    # One line point of two is worth 1/(4*2); the expr point 1/(4*1); four toggle points 4/(4*8).
    assert lines[0].startswith("- counter4.v:10 `assign wrap = en && (count == 4'hF);` -- expr: (en==1")
    assert lines[1].startswith("- counter4.v:7 `output reg  [3:0] count,` -- toggle: count[0]:0->1")
    assert "line: elsif (block lines 15-16)" in feedback
    values = [g.value for g in group_uncovered(obs, counter4)]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize(
    ("obs", "expected"),
    [
        (Observation(Outcome.TESTBENCH_ERROR, built=True, error="the testbench uses `Timer` without importing it"),
         ["could not be used as a cocotb test module", "`Timer` without importing it", "Fix the failure"]),
        (Observation(Outcome.TIMED_OUT, built=True, timed_out=True, log_tail="a\nb\nstuck here"),
         ["did not finish within the time limit", "stuck here", "Fix the failure"]),
        (Observation(Outcome.TESTS_FAILED, built=True, tests=(TestResult("test_a", False, "count 3 != 4"),),
                     log_tail="AssertionError: count 3 != 4"),
         ["1 of 1 test failed.", "Test `test_a` failed: count 3 != 4", "Fix the failure"]),
        (Observation(Outcome.CRASHED, built=True, error="killed by SIGSEGV"),
         ["the simulator crashed", "SIGSEGV", "Fix the failure"]),
    ],
)
def test_failure_feedback_is_routed_by_outcome(counter4, obs, expected):
    feedback = render_prompt(State(counter4, TB, obs, 0)).messages[3]["content"]
    for text in expected:
        assert text in feedback
    assert "Improve coverage" not in feedback


def test_prefix_is_identical_across_steps(counter4):
    """System and task never depend on the state, so llama.cpp's prefix cache covers them."""
    s0 = render_prompt(State(counter4), budget_tokens=3000)
    s1 = render_prompt(State(counter4, TB, Observation(Outcome.TESTBENCH_ERROR, built=True, error="x"), 0),
                       budget_tokens=3000)
    s2 = render_prompt(State(counter4, TB, passed_obs(counter4, counter_points(counter4)), 1), budget_tokens=3000)
    assert s0.messages[:2] == s1.messages[:2] == s2.messages[:2]


def test_budget_cuts_spec_before_rtl_and_says_so(counter4):
    long_spec = counter4.spec_text + "\n" + "Padding paragraph about nothing in particular.\n" * 400
    design = replace(counter4, spec_text=long_spec)
    roomy = render_prompt(State(design), budget_tokens=40_000)
    assert roomy.cuts == ()
    tight = render_prompt(State(design), budget_tokens=3_000)
    assert tight.tokens <= 3_000
    assert [c.split(":")[0] for c in tight.cuts] == ["spec"]
    task = tight.messages[1]["content"]
    assert "spec trimmed" in task or "spec omitted" in task
    assert "21| endmodule" in task  # the RTL is whole
    tiny = render_prompt(State(design), budget_tokens=1_800)
    assert any(c.startswith("RTL counter4.v") for c in tiny.cuts)
    assert "omitted to fit the context" in tiny.messages[1]["content"]


def test_budget_trims_long_logs_and_uncovered_lists(counter4):
    f = str(counter4.folder / "counter4.v")
    many = tuple(CoveragePoint(f, line, "toggle", 0, comment=f"sig{line}[{b}]:0->1") for line in range(1, 22)
                 for b in range(8))
    obs = passed_obs(counter4, many)
    roomy = render_prompt(State(counter4, TB, obs, 0), budget_tokens=20_000)
    tight = render_prompt(State(counter4, TB, obs, 0), budget_tokens=2_400)
    assert roomy.cuts == ()
    assert tight.tokens <= 2_400 < roomy.tokens
    assert any(c.startswith("uncovered:") for c in tight.cuts)
    assert "more uncovered lines" in tight.messages[3]["content"]
    log = "\n".join(f"log line {i}" for i in range(5000))
    failing = Observation(Outcome.TESTS_FAILED, built=True, tests=(TestResult("t", False, "boom"),), log_tail=log)
    trimmed = render_prompt(State(counter4, TB, failing, 0), budget_tokens=4_000)
    assert trimmed.tokens <= 4_000
    assert any(c.startswith("log:") for c in trimmed.cuts)
    assert "log line 4999" in trimmed.messages[3]["content"]  # the tail is what is kept


@pytest.mark.parametrize("name", ["counter4", "mode_fsm", "mag_compare", "alu8", "uart_loopback"])
def test_example_is_for_this_design_only(name):
    design = load_design(DESIGNS / name)
    iface = design.interface
    code = example_testbench(iface)
    ast.parse(code)
    assert ("Clock(" in code) == (iface.clock is not None)
    if iface.reset is not None:
        assert f"dut.{iface.reset.name}.value = {iface.reset.asserted}" in code
    for port in iface.data_inputs:
        assert port.name in code
    others = {"counter4", "en", "clr"} - {p.name for p in iface.ports}
    assert not any(f"dut.{o}." in code for o in others)


def test_the_example_draws_the_constants_the_rtl_compares_inputs_with():
    system = render_system(load_design(DESIGNS / "regblock"))  # `locked <= (wdata != UNLOCK)`, UNLOCK 0x01ACCE55
    values = next(ln for ln in system.splitlines() if ln.strip().startswith("'wdata':"))
    assert hex(0x01ACCE55) in values
    assert "dut.wdata.value = pick('wdata', 32)" in system
    assert "'valid':" not in system  # one bit: random bits draw 0 and 1 anyway
    assert "CYCLES = 20" in system  # a starting point: the sketch policy and a trained student run longer


def test_the_example_pauses_for_the_longest_timer_and_only_in_a_clocked_design():
    system = render_system(load_design(DESIGNS / "watchdog"))  # a 2,000-cycle window in an 11-bit counter
    hold = int(system.split("HOLD = ")[1].split()[0])
    assert 2000 < hold <= 2048 + 64
    assert "await ClockCycles(dut.clk, HOLD)" in system
    assert "HOLD" not in render_system(load_design(DESIGNS / "alu8"))  # no clock: nothing to wait out
    assert "HOLD" not in render_system(load_design(DESIGNS / "barrel_shifter"))  # a clock, but no timer


# An unpacked array input (as ibex_alu's `imd_val_q_i[2]`): cocotb takes a list, one value per element.
ARRAY = """module arr (input clk, input rst_n, input [7:0] a [2], input [3:0] sel, output reg [7:0] y);
  always @(posedge clk) if (!rst_n) y <= 0; else if (sel == 4'd9) y <= a[0] ^ a[1]; else y <= a[1];
endmodule
"""


def test_the_example_drives_an_array_input_with_a_list(tmp_path):
    (tmp_path / "arr.v").write_text(ARRAY)
    system = render_system(load_design(tmp_path))
    assert "dut.a.value = [0] * 2" in system
    assert "dut.a.value = [pick('a', 8) for _ in range(2)]" in system
    assert "'sel': [8, 9, 10, 0, 15, 1]," in system  # the value compared with and its neighbours first


def test_templates_ship_with_the_package():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"prompts/*.md"' in text
    for name in ("system", "task", "feedback_failure", "feedback_coverage", "feedback_unmeasured"):
        assert template(name).template.strip()
