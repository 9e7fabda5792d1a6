"""The system prompt's example is a correct cocotb 2 test for the design under test: it runs and passes."""

from __future__ import annotations

import pytest

from conftest import DESIGNS
from pytest_llm4cov.design import load_design
from pytest_llm4cov.observation import Outcome
from pytest_llm4cov.prompt import example_testbench
from pytest_llm4cov.testbench import Testbench, module_name_for

pytestmark = pytest.mark.simulator

# A clock without a reset, and more inputs than the example lists one by one.
WIDE = """module wide (input clk, input [3:0] a0, a1, a2, a3, a4, a5, a6, a7, a8, input [70:0] big,
                output reg [3:0] y, output reg [70:0] z);
  always @(posedge clk) begin y <= a0 ^ a1 ^ a2 ^ a3 ^ a4 ^ a5 ^ a6 ^ a7 ^ a8; z <= big; end
endmodule
"""


def run_example(design, evaluator):
    tb = Testbench(example_testbench(design.interface), module_name_for(design.top))
    obs = evaluator.evaluate(design.build, tb, seed=1)
    assert obs.outcome is Outcome.PASSED, f"{obs.error}\n{obs.log_tail[-2000:]}"
    assert obs.has_coverage
    return tb


@pytest.mark.parametrize("name", ["counter4", "mode_fsm", "alu8"])
def test_example_passes_on_bundled_designs(name, evaluator):
    run_example(load_design(DESIGNS / name), evaluator)


@pytest.mark.slow  # a design of its own: one more Verilator build
def test_example_for_a_clock_without_reset_and_many_inputs(tmp_path, evaluator):
    (tmp_path / "wide.v").write_text(WIDE)
    design = load_design(tmp_path)
    assert design.interface.clock == "clk"
    assert design.interface.reset is None
    tb = run_example(design, evaluator)
    assert "INPUT_WIDTHS = {" in tb.source
    assert "'big': 71" in tb.source
    assert "rst" not in tb.source
