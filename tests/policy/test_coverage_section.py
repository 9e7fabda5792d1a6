"""A testbench a model writes whole gets the RTL's functional coverage points, sampled while its tests run."""

from __future__ import annotations

import ast

import pytest

from conftest import DESIGNS
from pytest_llm4cov.design import load_design
from pytest_llm4cov.observation import Outcome
from pytest_llm4cov.functional import SECTION_BEGIN, without_coverage_section
from pytest_llm4cov.policy.coverage_section import with_coverage_section
from pytest_llm4cov.response import parse_reply
from pytest_llm4cov.testbench import Testbench

from .conftest import reply

COMBINATIONAL_TB = '''"""Random requests."""
import random

import cocotb
from cocotb.triggers import Timer


@cocotb.test()
async def test_requests(dut):
    rng = random.Random(1)
    dut.en.value = 1
    for _ in range(200):
        dut.req.value = rng.getrandbits(16)
        dut.lsb_first.value = rng.getrandbits(1)
        await Timer(5, unit="ns")
    dut.req.value = 0
    await Timer(5, unit="ns")
'''


def _model_code(name: str) -> str:
    return parse_reply(reply(name)).code


def test_the_section_follows_the_imports_and_marks_every_test(counter4):
    code = _model_code("counter4_3_fixed.md")
    out = with_coverage_section(counter4, code)
    assert out is not None
    tree = ast.parse(out)  # still one valid module
    test = next(n for n in tree.body if isinstance(n, ast.AsyncFunctionDef) and n.name == "test_counter")
    names = [d.id if isinstance(d, ast.Name) else ast.unparse(d) for d in test.decorator_list]
    assert names == ["cocotb.test()", "sample_coverage"]  # under @cocotb.test(): it wraps the test itself
    lines = out.splitlines()
    assert lines.index(next(ln for ln in lines if ln.startswith(SECTION_BEGIN))) > lines.index(
        "from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer")
    assert "'counter4.in_en'" not in out and "'in_en': (('en',), [0, 1])" in out  # the RTL's own points
    assert code.split("@cocotb.test()")[1] in out.replace("@sample_coverage\n", "")  # the test body untouched


def test_what_needs_no_section_is_left_alone(counter4):
    code = _model_code("counter4_3_fixed.md")
    once = with_coverage_section(counter4, code)
    assert with_coverage_section(counter4, once) is None  # kept from an earlier step
    own = "from cocotb_coverage.coverage import CoverPoint\n" + code
    assert with_coverage_section(counter4, own) is None  # the author's own points
    assert with_coverage_section(counter4, "def broken(:\n") is None
    assert with_coverage_section(counter4, "import cocotb\n\nasync def helper(dut):\n    pass\n") is None


@pytest.mark.simulator
def test_model_testbenches_report_functional_coverage_clocked_and_combinational(counter4, evaluator):
    """The recorded counter4 reply (clocked, with its own checks) and a combinational testbench both still
    pass with the section added, and their bins are collected: what they drove is hit, what they never
    drove is missed."""
    code = with_coverage_section(counter4, _model_code("counter4_3_fixed.md"))
    obs = evaluator.evaluate(counter4.build, Testbench(code, "test_counter4"))
    assert obs.outcome is Outcome.PASSED, obs.error
    per = obs.functional.per_point()
    assert per["counter4.in_en"]["hit"] == 2 and per["counter4.in_clr"]["hit"] == 2

    encoder = load_design(DESIGNS / "priority_encoder16")
    comb = with_coverage_section(encoder, COMBINATIONAL_TB)
    obs = evaluator.evaluate(encoder.build, Testbench(comb, "test_priority_encoder16"))
    assert obs.outcome is Outcome.PASSED, obs.error
    per = obs.functional.per_point()
    assert per["priority_encoder16.in_lsb_first"]["hit"] == 2
    assert per["priority_encoder16.in_en"]["missed"] == ["0"]  # en was never 0
    assert "0" not in per["priority_encoder16.in_req"]["missed"]  # the last request vector was 0


def test_prompts_show_the_testbench_without_the_section(counter4):
    """The next prompt's assistant turn is the testbench as the model wrote it: no tokens spent on the
    plugin's section, and the next testbench gets the section again."""
    from pytest_llm4cov.coverage import CoverageReport
    from pytest_llm4cov.observation import Observation
    from pytest_llm4cov.prompt import render_prompt
    from pytest_llm4cov.state import State

    code = _model_code("counter4_3_fixed.md")
    covered = with_coverage_section(counter4, code)
    assert without_coverage_section(covered) == code
    obs = Observation(Outcome.PASSED, built=True, coverage=CoverageReport(()))
    state = State(counter4, Testbench(covered, "test_counter4"), obs, step=0)
    assistant = render_prompt(state).messages[2]["content"]
    assert assistant == f"```python\n{code.rstrip()}\n```"


def test_the_section_comes_out_whole_wherever_it_went(counter4):
    no_imports = "@cocotb.test()\nasync def test_x(dut):\n    pass\n"
    for code in (_model_code("counter4_3_fixed.md"), no_imports, '"""Doc."""\n' + no_imports):
        covered = with_coverage_section(counter4, code)
        assert covered is not None and covered != code
        assert without_coverage_section(covered) == code


def test_training_targets_leave_the_section_out_too(counter4):
    """The trainer teaches the reply the model writes; the plugin adds the section, as at inference."""
    from trainer.examples import testbench_reply

    code = _model_code("counter4_3_fixed.md")
    assert testbench_reply(with_coverage_section(counter4, code)) == testbench_reply(code) == (
        f"```python\n{code.rstrip()}\n```")
