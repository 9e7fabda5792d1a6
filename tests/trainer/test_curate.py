"""Curation: the improvement rule on crafted records, and examples that render byte-identical to the prompts the
policies were really shown (scripted model runs through the real simulator, both modes)."""

from __future__ import annotations

import json

import pytest

from conftest import DESIGNS
from pytest_llm4cov.design import load_design
from pytest_llm4cov.functional import without_coverage_section
from pytest_llm4cov.loop import run_loop
from pytest_llm4cov.policy.builtin import BuiltinPolicy
from pytest_llm4cov.policy.hybrid import CONTROL_REPLY, HybridPolicy
from pytest_llm4cov.policy.scripted import ScriptedPolicy
from pytest_llm4cov.prompt import example_testbench
from pytest_llm4cov.runlog import RunLogWriter, RunRecord, read_runlog
from pytest_llm4cov.state import State
from trainer.curate import CurateConfig, curate
from trainer.examples import PromptSettings, read_examples, render_state
from trainer.transitions import improvement, state_of, transitions


def rec(score: float, outcome: str = "passed", metrics: dict | None = None, parse_error: str = "") -> RunRecord:
    if metrics is None:
        metrics = {"line": {"covered": 1, "total": 1, "ratio": score}} if outcome == "passed" else {}
    return RunRecord(
        run_id="r",
        design="d",
        top="d",
        rtl_hash="h",
        policy={"name": "x"},
        seed=0,
        step=1,
        parent_step=0,
        testbench="",
        observation={"outcome": outcome, "metrics": metrics},
        score=score,
        best_before=0.0,
        best_after=score,
        improved=False,
        timings={},
        proposal={"parse_error": parse_error} if parse_error else {},
    )


def m(**ratios: float) -> dict:
    return {k: {"covered": 0, "total": 1, "ratio": v} for k, v in ratios.items()}


def test_improvement_rule():
    assert improvement(None, rec(0.4)) == ("start", 0.4)
    assert improvement(None, rec(0.0, "tests_failed")) is None  # a failed child teaches nothing
    assert improvement(rec(0.0, "crashed"), rec(0.3))[0] == "fix"
    assert improvement(rec(0.5, metrics=m(line=0.5)), rec(0.505, metrics=m(line=0.505))) is None  # gain <= 0.01
    assert improvement(rec(0.5, metrics=m(line=0.5)), rec(0.6, metrics=m(line=0.6))) == ("improve", pytest.approx(0.1))
    # the score rose but one metric dropped: rejected
    assert improvement(rec(0.5, metrics=m(line=0.6, toggle=0.4)), rec(0.6, metrics=m(line=0.5, toggle=0.7))) is None
    assert improvement(rec(0.2), rec(0.9, parse_error="no code")) is None  # a rejected reply never ran clean


def test_improvement_near_closure_counts_a_share_of_the_gap():
    # At 99.6% no step can gain 0.01; closing most of what is left (0.004) is what counts there.
    assert improvement(rec(0.996, metrics=m(toggle=0.996)), rec(0.999, metrics=m(toggle=0.999)))[0] == "improve"
    assert improvement(rec(0.996, metrics=m(toggle=0.996)), rec(1.0, metrics=m(toggle=1.0)))[0] == "improve"
    # ... but not a sliver of it (less than a quarter of the gap)
    assert improvement(rec(0.996, metrics=m(toggle=0.996)), rec(0.9965, metrics=m(toggle=0.9965))) is None
    assert improvement(rec(1.0, metrics=m(toggle=1.0)), rec(1.0, metrics=m(toggle=1.0))) is None


def test_control_testbench_replaces_the_scenarios_with_the_idle_one():
    from pytest_llm4cov.policy.hybrid import control_testbench
    from pytest_llm4cov.scenarios import parse_scenarios, pieces_of, splice, unsplice

    design = load_design(DESIGNS / "counter4")
    scaffold = BuiltinPolicy().propose(State(design), 0).testbench.source
    reply = "```python\nasync def scenario_busy(tb, dut):\n    await tb.step(7)\n```\n"
    hybrid = splice(scaffold, parse_scenarios(reply).pieces, cycles=123)
    control = control_testbench(design, hybrid, cycles=123)
    assert [p.name for p in pieces_of(control) if p.runs] == ["scenario_idle"]
    assert "SCENARIO_CYCLES = 123" in control and "scenario_busy" not in control
    assert unsplice(control) == unsplice(hybrid)  # the same scaffold underneath
    assert control_testbench(design, scaffold, cycles=123) == control  # from the scaffold alone, the same


@pytest.fixture(scope="module")
def counter4():
    return load_design(DESIGNS / "counter4")


def fenced(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


@pytest.mark.simulator
def test_whole_module_examples_render_byte_identical(evaluator, counter4, tmp_path):
    smoke = example_testbench(counter4.interface)  # correct, random for 20 cycles: partial coverage
    full = BuiltinPolicy().propose(State(counter4), 0).testbench.source
    policy = ScriptedPolicy([fenced(smoke), "no code here", fenced(full)])
    log = tmp_path / "runlog.jsonl"
    run_loop(counter4, policy, evaluator, iterations=3, seed=0, log=RunLogWriter(log))
    records = list(read_runlog(log))
    settings = PromptSettings(n_ctx=policy.n_ctx, max_tokens=policy.sampling.max_tokens)
    # Every logged state renders exactly the prompt the policy was shown at the step it led to.
    for t in transitions(records):
        state = state_of(t.parent, counter4)
        assert render_state(state, "model", settings, policy.count_tokens).as_list() == policy.prompts[t.child.step]

    out = curate(
        CurateConfig(
            runlogs=[str(log)],
            corpus=[str(DESIGNS)],
            experts=False,
            modes=["model"],
            n_ctx=policy.n_ctx,
            max_tokens=8192,  # the built-in testbench with its coverage tables is over 4,096 estimated tokens
            out=str(tmp_path / "examples.jsonl"),
        )
    )
    examples = list(read_examples(out))
    by_step = {r.step: r for r in records}
    assert sorted(e.kind for e in examples) == ["improve", "start"]
    for e in examples:
        child = by_step[e.state.get("child_step", 0)]
        parent = by_step[e.state["step"]] if e.state else None
        assert improvement(parent, child) is not None
        assert e.messages == policy.prompts[child.step]
        assert e.target == fenced(without_coverage_section(child.testbench))  # the plugin's section is not taught
    report = json.loads((tmp_path / "examples.jsonl.report.json").read_text())
    assert report["dropped"]["no improvement (rejection filter)"] == 1  # the reply without code


@pytest.mark.simulator
def test_hybrid_prompts_render_byte_identical(evaluator, tmp_path):
    design = load_design(DESIGNS / "regblock")  # the scaffold's first step leaves points open
    write = 'async def scenario_write(tb, dut):\n    tb.set("valid", 1)\n    tb.set("write", 1)\n    await tb.step(2)'
    backend = ScriptedPolicy([CONTROL_REPLY, fenced(write)])
    policy = HybridPolicy(backend, max_tokens=512)
    log = tmp_path / "runlog.jsonl"
    run_loop(design, policy, evaluator, iterations=3, seed=0, log=RunLogWriter(log))
    records = list(read_runlog(log))
    settings = PromptSettings(n_ctx=backend.n_ctx, hybrid_max_tokens=512, hybrid_prompt_tokens=policy.prompt_tokens)
    # the scaffold declares functional coverage: its missed bins are part of the feedback to rebuild
    assert all(r.observation.get("functional") for r in records)
    called = [t for t in transitions(records) if t.child.proposal.get("model_called")]
    assert len(called) == len(backend.prompts) >= 1
    for t, shown in zip(called, backend.prompts, strict=True):
        state = state_of(t.parent, design)
        assert render_state(state, "hybrid", settings, backend.count_tokens).as_list() == shown


@pytest.mark.simulator
def test_clean_examples_are_opt_in_and_kept_apart(evaluator, tmp_path):
    """A scenario that runs clean and adds nothing is no coverage example; with clean_examples it becomes
    one of kind 'clean' (the scenario contract), from the state the model saw, with the reply it gave."""
    from pytest_llm4cov import Llm4covError

    design = load_design(DESIGNS / "seq_detect")  # the scaffold alone leaves points open
    backend = ScriptedPolicy([CONTROL_REPLY])
    log = tmp_path / "runlog.jsonl"
    run_loop(design, HybridPolicy(backend, max_tokens=512), evaluator, iterations=2, seed=0, log=RunLogWriter(log))
    config = dict(runlogs=[str(log)], corpus=[str(DESIGNS)], experts=False, modes=["hybrid"], n_ctx=backend.n_ctx)
    with pytest.raises(Llm4covError, match="no example survived"):
        curate(CurateConfig(**config, out=str(tmp_path / "none.jsonl")))
    out = curate(CurateConfig(**config, clean_examples=1, out=str(tmp_path / "clean.jsonl")))
    (example,) = read_examples(out)
    assert example.kind == "clean" and example.gain == 0.0
    assert example.target == CONTROL_REPLY.strip()
    assert example.messages == backend.prompts[0]
    report = json.loads((tmp_path / "clean.jsonl.report.json").read_text())
    assert report["by_kind"] == {"clean": 1}


def test_expert_scenarios_with_helpers_pass_the_scenario_parser():
    """A reference test that calls helpers becomes a reply the scenario parser gives back as it is: the
    helpers are named as the parser names them (a function by its name), or every such expert is lost."""
    from trainer.examples import scenarios_reply
    from trainer.expert import reference_scenarios

    module = '''
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

KEY = [0xA5, 0x5A]


def checksum(data):
    return 0xFF ^ sum(data) & 0xFF


async def send(dut, data):
    for b in data + [checksum(data)]:
        dut.in_byte.value = b
        await FallingEdge(dut.clk)


@cocotb.test()
async def test_unlock(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    await send(dut, [0x03] + KEY)
    assert dut.locked.value == 0
'''
    scaffold = BuiltinPolicy().propose(State(load_design(DESIGNS / "counter4")), 1).testbench.source
    ((scenario, helpers),) = reference_scenarios(module, scaffold, clocked=True)
    assert scenario.name == "scenario_unlock" and "Clock(" not in scenario.source  # the scaffold runs the clock
    assert [h.name for h in helpers] == [
        "from cocotb.triggers import ClockCycles, FallingEdge", "KEY = [165, 90]", "checksum", "send"
    ]
    reply = scenarios_reply([*helpers, scenario])
    assert reply is not None and "def checksum(data)" in reply and "async def scenario_unlock(tb, dut)" in reply


def test_expert_scenarios_are_stimulus_without_the_reference_checks():
    """The checks of a reference test go, its awaited reads stay: a student shown them wrote its own checks
    with wrong expected values (stage 1: 7 of 10 model steps raised), and a failed check ends the scenario."""
    from trainer.expert import reference_scenarios

    module = '''
import cocotb
from cocotb.triggers import RisingEdge


async def read_reg(dut, addr):
    dut.addr.value = addr
    await RisingEdge(dut.clk)
    assert dut.ack.value == 1
    return int(dut.rdata.value)


@cocotb.test()
async def test_regs(dut):
    dut.a.value = 1
    await RisingEdge(dut.clk)
    assert dut.y.value == 3, "y after one cycle"
    assert await read_reg(dut, 3) == 5
    if dut.y.value:
        assert dut.z.value == 0
'''
    ((scenario, helpers),) = reference_scenarios(module, "import cocotb\n", clocked=True)
    assert "assert" not in scenario.source and not any("assert" in h.source for h in helpers)
    assert "await read_reg(dut, 3)" in scenario.source  # the read is stimulus
    assert "dut.a.value = 1" in scenario.source and "    if dut.y.value:\n        pass" in scenario.source
    assert "return int(dut.rdata.value)" in helpers[-1].source
