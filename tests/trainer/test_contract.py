"""Expert targets in the scenario contract: a reference test's raw handles and triggers become the harness's
``tb`` calls, and the rewritten scenario still runs clean in the real simulator."""

from __future__ import annotations

import ast

import pytest

from conftest import DESIGNS
from pytest_llm4cov.design import load_design
from pytest_llm4cov.evaluator import Outcome
from pytest_llm4cov.policy.builtin import BuiltinPolicy
from pytest_llm4cov.policy.hybrid import rtl_constants
from pytest_llm4cov.scenarios import scenario_results, splice
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench
from trainer.contract import NotInContract, to_contract
from trainer.expert import reference_scenarios

KEYPAD_TEST = '''
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge


async def start(dut):
    dut.key_valid.value = 0
    dut.key_code.value = 0
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    await FallingEdge(dut.clk)


async def press(dut, code, hold=4):
    """Press one key, then release it."""
    dut.key_code.value = code
    dut.key_valid.value = 1
    await ClockCycles(dut.clk, hold)
    dut.key_valid.value = 0
    await RisingEdge(dut.clk)
    await ReadOnly()
    return int(dut.unlocked.value)


@cocotb.test()
async def test_code(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    await start(dut)
    for code in (3, 1, 4, 1, 5, 11):
        await press(dut, code)
    assert dut.unlocked.value == 1
    dut.key_code.value = 10
    await ClockCycles(dut.clk, 300)
'''


def _interface(name: str):
    iface = load_design(DESIGNS / name).interface
    reset = (iface.reset.name, iface.reset.asserted) if iface.reset else None
    return iface, reset


def test_reference_helpers_take_tb_and_drive_through_it():
    """The stage-2 student wrote the raw style its targets had (6 of 10 steps raised): helpers that take
    ``dut``, ``ClockCycles(dut.clk)``, reset pulses. In the contract every drive is ``tb.set``, every wait
    ``tb.step``, the reset pulse ``tb.reset(fill="keep")`` and a helper takes ``tb``."""
    iface, _ = _interface("door_keypad")
    ((scenario, helpers),) = reference_scenarios(KEYPAD_TEST, "import cocotb\n", True, iface)
    text = "\n".join(p.source for p in [*helpers, scenario])
    assert [h.name for h in helpers][-2:] == ["start", "press"]
    assert "dut" not in "\n".join(h.source for h in helpers)  # nothing raw left in the helpers
    start, press = helpers[-2].source, helpers[-1].source
    assert start == "async def start(tb):\n    tb.set('key_valid', 0)\n    tb.set('key_code', 0)\n" \
        "    await tb.reset(fill='keep')\n    await tb.step(2)\n    await tb.step()"
    assert "await tb.step(hold)" in press
    assert "ReadOnly" not in press
    assert "return tb.read('unlocked')" in press
    for line in ("await start(tb)", "await press(tb, code)", "tb.set('key_code', 10)", "await tb.step(300)"):
        assert line in scenario.source
    assert "assert" not in text
    assert "Clock(" not in text


@pytest.mark.parametrize("module", [
    "async def test_x(dut):\n    tb = make_bench(dut)\n    dut.a.value = 1\n",  # no class to build on tb
    "class E:\n    def __init__(self, dut):\n        self.dut = dut\n\n"
    "async def test_x(dut):\n    env = E(dut)\n",  # `env` is the name the rewrite needs
])
def test_a_test_whose_tb_the_rewrite_cannot_follow_is_not_in_the_contract(module):
    """Curation drops such a test (the raw style taught beside the contract is what stage 2 learned)."""
    with pytest.raises(NotInContract):
        to_contract(ast.parse(module), clock="clk", reset=("rst_n", 0), inputs=["a"])


def test_without_a_clock_a_timer_wait_is_a_step_and_the_clock_is_never_driven():
    tree = to_contract(
        ast.parse("@cocotb.test()\nasync def test_x(dut):\n    dut.a.value = 3\n    await Timer(1, 'ns')\n"
                  "    dut.b.value = dut.a.value\n"),
        clock=None, reset=None, inputs=["a", "b"],
    )
    assert ast.unparse(tree) == "@cocotb.test()\nasync def test_x(dut):\n    tb.set('a', 3)\n    await tb.step()\n" \
        "    tb.set('b', dut.a.value)"
    tree = to_contract(ast.parse("def f(dut):\n    dut.clk.value = 1\n    dut.rst_n.value = x\n"),
                       clock="clk", reset=("rst_n", 0), inputs=[])
    assert ast.unparse(tree) == "def f(tb):\n    tb.set('rst_n', x)"  # a computed reset level is a set


def test_a_rewritten_reference_scenario_runs_clean_against_the_scaffold(evaluator):
    """Through the real simulator: the keypad test, rewritten, runs in the built-in scaffold with no raise."""
    design = load_design(DESIGNS / "door_keypad")
    scaffold = BuiltinPolicy().propose(State(design), 1).testbench
    ((scenario, helpers),) = reference_scenarios(KEYPAD_TEST, scaffold.source, True, design.interface)
    source = splice(scaffold.source, [*helpers, scenario], constants=rtl_constants(design))
    obs = evaluator.evaluate(design.build, Testbench(source, scaffold.module), seed=1)
    assert obs.outcome is Outcome.PASSED, obs.error
    assert scenario_results(obs.notes) == {"scenario_code": "ok"}, obs.notes


CLASS_TEST = '''
import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.sent = 0

    async def cycle(self, valid=0, data=0):
        """Drive one cycle (called just after a falling edge)."""
        d, sent = self.dut, self.sent
        d.key_valid.value = valid
        d.key_code.value = data
        await RisingEdge(d.clk)
        self.sent = sent + valid
        await FallingEdge(d.clk)


@cocotb.test()
async def test_typing(dut):
    tb = TB(dut)
    await tb.cycle(1, 3)
    await RisingEdge(dut.clk)
'''


def test_a_testbench_class_is_built_on_tb_and_a_rising_then_falling_edge_is_one_step():
    """Most reference tests drive through ``tb = TB(dut)``. The class is built on the harness's ``tb`` and the
    test's object becomes ``env``; a rising edge then a falling edge with no wait between is one cycle (two
    ``tb.step()`` would hold every input twice as long)."""
    iface, reset = _interface("door_keypad")
    tree = to_contract(ast.parse(CLASS_TEST), clock=iface.clock, reset=reset, inputs=["key_valid", "key_code"])
    cls, test = tree.body[2], tree.body[3]
    assert ast.unparse(cls.body[0]) == "def __init__(self, tb):\n    self.tb = tb\n    self.sent = 0"
    assert ast.unparse(cls.body[1]).split('"""')[-1] == (
        "\n    sent = self.sent\n    self.tb.set('key_valid', valid)\n    self.tb.set('key_code', data)\n"
        "    self.sent = sent + valid\n    await self.tb.step()"
    )
    assert ast.unparse(test) == (
        "@cocotb.test()\nasync def test_typing(dut):\n    env = TB(tb)\n    await env.cycle(1, 3)\n"
        "    await tb.step()"  # a rising edge alone is still a step
    )


def _rewritten(module: str, inputs=("a",)) -> str:
    return ast.unparse(to_contract(ast.parse(module), clock="clk", reset=("rst_n", 0), inputs=list(inputs)))


def test_a_background_monitor_keeps_its_clock_waits():
    """``tb.step`` samples the coverage points: a monitor started beside the scenario and stepping too would
    sample every edge twice (a cross bin hit by two samples the clock never saw together)."""
    module = (
        "class TB:\n    def __init__(self, dut):\n        self.dut = dut\n        cocotb.start_soon(self.watch())\n\n"
        "    async def watch(self):\n        while True:\n            await RisingEdge(self.dut.clk)\n\n"
        "    async def go(self):\n        await RisingEdge(self.dut.clk)\n"
    )
    text = _rewritten(module)
    assert "await RisingEdge(self.dut.clk)" in text  # watch(): raw, through self.dut = tb.dut
    assert "self.dut = tb.dut" in text
    assert "async def go(self):\n        await self.tb.step()" in text


def test_the_reset_release_goes_only_where_tb_reset_was_written():
    held = _rewritten("def hold(dut):\n    dut.rst_n.value = 0\n\nasync def free(dut):\n    dut.rst_n.value = 1\n")
    assert "tb.set('rst_n', 0)" in held  # not a coroutine: no tb.reset to await
    assert "tb.set('rst_n', 1)" in held  # so its release is kept


def test_cycle_counts_nested_defs_and_dut_passed_from_a_method():
    module = (
        "class TB:\n    def __init__(self, dut):\n        self.dut = dut\n\n"
        "    async def go(self):\n        d = self.dut\n        await pulse(d)\n        await pulse(dut=self.dut)\n\n"
        "async def pulse(dut):\n    await ClockCycles(dut.clk, num_cycles=5)\n\n"
        "@cocotb.test()\nasync def test_x(dut):\n    def hold():\n        dut.rst_n.value = 0\n    hold()\n"
    )
    text = _rewritten(module)
    assert "await pulse(self.tb)\n        await pulse(tb=self.tb)" in text
    assert "await tb.step(5)" in text
    assert "def hold():\n        tb.set('rst_n', 0)" in text  # no await in a plain def
    compile(text, "<contract>", "exec")


def test_edges_with_a_drive_between_stay_two_steps():
    """Joining them would move the second drive onto the first: a one-cycle pulse would vanish."""
    text = _rewritten("async def pulse(dut):\n    dut.a.value = 1\n    await RisingEdge(dut.clk)\n"
                      "    dut.a.value = 0\n    await FallingEdge(dut.clk)\n")
    assert text.count("await tb.step()") == 2
