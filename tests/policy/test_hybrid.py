"""The hybrid policy through the real loop and simulator: scaffold first, scenarios isolated, results fed back."""

from __future__ import annotations

import re

import pytest

from conftest import DESIGNS, second_step
from pytest_llm4cov.loop import run_loop
from pytest_llm4cov.observation import Outcome
from pytest_llm4cov.policy.hybrid import HybridPolicy
from pytest_llm4cov.policy.scripted import ScriptedPolicy
from pytest_llm4cov.runlog import RunLogWriter, read_runlog
from pytest_llm4cov.scenarios import scenario_results

pytestmark = pytest.mark.simulator

# Types the opening code 4-7-1-9: each key held past the 16-cycle debounce, then released.
GOOD = '''```python
async def scenario_open(tb, dut):
    """lock_fsm.v:78: the right code opens the lock"""
    for key in (4, 7, 1, 9):
        tb.set("keys", 1 << key)
        await tb.step(24)
        tb.set("keys", 0)
        await tb.step(24)
    assert tb.read("unlocked") == 1


async def scenario_typo(tb, dut):
    """raises: uses a name it never defines"""
    dut.keys = 1
    await tb.step(2)
    tb.set("keys", undefined_key)


async def scenario_forever(tb, dut):
    """never ends: stopped by the harness"""
    while True:
        await tb.step(1)
```'''
LATER = '''```python
async def scenario_open(tb, dut):
    """the same name again: renamed, not replaced"""
    await tb.step(5)
```'''


@pytest.fixture(scope="module")
def combo_lock():
    from pytest_llm4cov.design import load_design

    return load_design(DESIGNS / "combo_lock")


def test_scenarios_run_isolated_and_their_results_are_fed_back(combo_lock, evaluator, tmp_path):
    model = ScriptedPolicy([GOOD, LATER])
    policy = HybridPolicy(model, max_tokens=512)
    log = RunLogWriter(tmp_path / "runlog.jsonl")
    result = run_loop(combo_lock, policy, evaluator, iterations=3, seed=0, log=log)
    steps = result.steps
    assert len(model.prompts) == 2  # step 0 is the scaffold alone: nothing to aim at yet
    assert [s.observation.outcome for s in steps] == [Outcome.PASSED] * 3

    first = steps[1].observation
    results = scenario_results(first.notes)
    assert results["scenario_open"] == "ok"
    assert results["scenario_typo"].startswith("NameError: name 'undefined_key' is not defined at `tb.set(")
    assert results["scenario_forever"].startswith("SimTimeoutError")
    # Static repair wrote `.value` and reported the undefined name before the run; both lead the notes.
    assert any(n.startswith("repaired: ") and "`dut.keys = ...`" in n for n in first.notes)
    assert any(n.startswith("problem: ") and "`undefined_key` is used but never defined" in n for n in first.notes)
    # The right code is beyond the scaffold's random stimulus: the scenario adds coverage.
    assert steps[1].observation.score > steps[0].observation.score
    assert steps[1].improved

    # The next prompt: the design prefix unchanged, the scenario that ran listed, the failures shown.
    p0, p1 = model.prompts
    assert p0[:2] == p1[:2]
    feedback = p1[2]["content"]
    assert "- `scenario_open`: lock_fsm.v:78: the right code opens the lock" in feedback
    assert "Scenario `scenario_typo` raised NameError" in feedback and "tb.set(\"keys\", undefined_key)" in feedback
    assert "Before the run, static repair of the testbench:" in feedback
    assert "Uncovered points, grouped by source line" in feedback
    assert 'the only names `tb.set` takes: "keys".' in feedback

    # Step 2 keeps the scenario that ran, drops the two that raised, renames the new one.
    source = steps[2].testbench.source
    assert "SCENARIOS = [scenario_open, scenario_open_2]" in source
    assert "scenario_typo" not in source and "scenario_forever" not in source

    records = list(read_runlog(tmp_path / "runlog.jsonl"))
    assert [r.proposal["model_called"] for r in records] == [False, True, True]
    assert records[1].proposal["raw_text"] == GOOD
    assert records[1].proposal["new_scenarios"] == ["scenario_open", "scenario_typo", "scenario_forever"]
    assert "dut.keys = 1" in records[1].proposal["repair"]["unrepaired"]
    assert records[2].proposal["kept_scenarios"] == ["scenario_open"]
    assert records[0].policy["settings"]["mode"] == "hybrid"
    assert records[0].policy["settings"]["max_tokens"] == 512


# Wrong about the design: counter4 counts up (and wraps after 15), it never holds its value while enabled.
WRONG = '''```python
async def scenario_count_holds(tb, dut):
    """counter4.v: count stays put while enabled (it does not: the scenario is wrong)"""
    tb.set("en", 1)
    await tb.step(3)
    assert tb.read("count") == 0, "count moved"
```'''


def test_a_scenario_whose_check_fails_on_the_unmutated_rtl_is_reported_not_fatal(counter4, evaluator):
    """The assertion is the scenario's mistake, not the design's: the run passes, the scenario is dropped,
    and the next prompt says it raised AssertionError and shows its code."""
    from pytest_llm4cov.state import State

    policy = HybridPolicy(ScriptedPolicy([WRONG]), max_tokens=512)
    first = policy.propose(State(counter4), 0).testbench  # the scaffold alone
    before = evaluator.evaluate(counter4.build, first)
    tb = policy.propose(State(counter4, first, before, step=0), 1).testbench
    assert "async def scenario_count_holds" in tb.source
    obs = evaluator.evaluate(counter4.build, tb)
    assert obs.outcome is Outcome.PASSED, obs.error
    assert scenario_results(obs.notes)["scenario_count_holds"].startswith("AssertionError: count moved")
    assert obs.score >= before.score  # the scaffold's stimulus still ran

    feedback = policy.render(State(counter4, tb, obs, step=1)).messages[2]["content"]
    assert "Scenario `scenario_count_holds` raised AssertionError: count moved" in feedback
    assert 'assert tb.read("count") == 0' in feedback


# Writes 0xA5 to spi_slave's CTRL register (command byte 0x00: write, address 0), mode 0, MSB first, each
# SCLK phase 4 clocks: the pins the built-in testbench hands to its SPI master are the scenario's here.
SPI_WRITE = '''```python
async def scenario_write_ctrl(tb, dut):
    """spi_slave.v: a write command and a data byte under one chip select set CTRL"""
    tb.set("cs_n", 1)
    tb.set("sclk", 0)
    await tb.step(4)
    tb.set("cs_n", 0)
    await tb.step(4)
    for byte in (0x00, 0xA5):
        for i in range(7, -1, -1):
            tb.set("mosi", (byte >> i) & 1)
            await tb.step(4)
            tb.set("sclk", 1)
            await tb.step(4)
            tb.set("sclk", 0)
    await tb.step(4)
    tb.set("cs_n", 1)
    await tb.step(4)
    assert tb.read("ctrl") == 0xA5
```'''


def test_a_scenario_drives_the_pins_the_vip_owns_in_the_scaffold(evaluator):
    """spi_slave's SPI pins belong to the built-in testbench's SPI master, which runs only in its own test:
    a scenario drives them with tb.set like any other input (they were missing from INPUTS: KeyError)."""
    from pytest_llm4cov.design import load_design
    from pytest_llm4cov.state import State

    design = load_design(DESIGNS / "spi_slave")
    policy = HybridPolicy(ScriptedPolicy([SPI_WRITE]), max_tokens=512)
    first = policy.propose(State(design), 0).testbench
    assert "VIP_INPUTS = {'cs_n': 1, 'mosi': 1, 'sclk': 1}" in first.source
    before = evaluator.evaluate(design.build, first)
    tb = policy.propose(State(design, first, before, step=0), 1).testbench
    obs = evaluator.evaluate(design.build, tb)
    assert obs.outcome is Outcome.PASSED, obs.error
    assert scenario_results(obs.notes)["scenario_write_ctrl"] == "ok", obs.notes


ODD_PARAMETERS = '''```python
async def scenario_bench(bench, dut):
    """the harness's TB under another name: `bench.step` exists only on it"""
    await bench.step(2)
    assert bench.read("count") is not None


async def scenario_swapped(dut, tb):
    """by name, in any order"""
    await tb.step(1)
```'''


def test_a_scenario_whose_tb_parameter_has_another_name_still_gets_the_tb(counter4, evaluator):
    """The 1.5B teacher wrote ``async def scenario_hit_miss(tbl, dut)``: the harness passed ``tb`` by name only,
    so every such scenario raised TypeError. A parameter of another name takes what is left of (tb, dut)."""
    obs = second_step(counter4, ODD_PARAMETERS, evaluator)
    assert obs.outcome is Outcome.PASSED, obs.error
    assert scenario_results(obs.notes) == {"scenario_bench": "ok", "scenario_swapped": "ok"}


# The 0.5B models' failure classes on combo_lock, in one reply: outputs driven with tb.set, a plain def, a
# wait without await, the clock taken from tb, and the code typed by a helper coroutine nothing calls.
STUDENT_MISTAKES = '''```python
def scenario_clear(tb, dut):
    """lock_fsm.v: star clears a partial entry"""
    tb.set("digits", 2)
    tb.set("keys", 1 << 10)
    tb.step(24)
    await RisingEdge(tb.clk)


async def scenario_dynamic(tb, dut):
    """a name only known when it runs: the harness says what it is"""
    for name in ("keys", "fails"):
        tb.set(name, 1)
```'''
HELPERS_ONLY = '''```python
async def press(tb, key):
    tb.set("keys", 1 << key)
    await tb.step(24)
    tb.set("keys", 0)
    await tb.step(24)


async def open_lock(tb, dut):
    tb.set("unlocked", 0)
    for key in (4, 7, 1, 9):
        await press(tb, key)
```'''


def test_the_students_mistakes_are_repaired_into_scenarios_that_run(combo_lock, evaluator):
    """Before repair each of these raised (KeyError on `digits`/`unlocked`) or was dropped (a plain def, a
    reply of helpers alone); after it both run and the helper that types 4-7-1-9 adds coverage."""
    from pytest_llm4cov.state import State

    policy = HybridPolicy(ScriptedPolicy([STUDENT_MISTAKES, HELPERS_ONLY]), max_tokens=512)
    first = policy.propose(State(combo_lock), 0).testbench
    before = evaluator.evaluate(combo_lock.build, first)
    step1 = policy.propose(State(combo_lock, first, before, step=0), 1)
    assert step1.info["repair"]["unrepaired_new_scenarios"] == ["scenario_dynamic"]  # the plain def was dropped
    obs1 = evaluator.evaluate(combo_lock.build, step1.testbench)
    assert obs1.outcome is Outcome.PASSED, obs1.error
    results = scenario_results(obs1.notes)
    assert results["scenario_clear"] == "ok"
    assert results["scenario_dynamic"].startswith("ValueError: tb.set('fails'): not an input (inputs: keys);")
    assert any("dropped `tb.set('digits', ...)`" in n and "is an output" in n for n in step1.info["notes"])
    step2 = policy.propose(State(combo_lock, step1.testbench, obs1, step=1), 2)
    obs2 = evaluator.evaluate(combo_lock.build, step2.testbench)
    assert scenario_results(obs2.notes) == {"scenario_clear": "ok", "scenario_open_lock": "ok"}, obs2.notes
    assert obs2.score > before.score


# Bit selects: a decoder's fields written as the RTL compares them, the other bits kept.
BIT_SELECTS = '''```python
async def scenario_fields(tb, dut):
    """the other bits stay as they were"""
    tb.set("keys", 0x400)
    tb.set("keys[4]", 1)
    await tb.step(1)
    assert tb.read("keys") == 0x410, tb.read("keys")
    tb.set("keys[7:4]", 0b1000)
    await tb.step(1)
    assert tb.read("keys") == 0x480, tb.read("keys")
    tb.set("keys", 0)


async def scenario_open_by_bits(tb, dut):
    """lock_fsm.v:78: the code typed one key bit at a time"""
    for key in (4, 7, 1, 9):
        tb.set(f"keys[{key}]", 1)
        await tb.step(24)
        tb.set(f"keys[{key}]", 0)
        await tb.step(24)
    assert tb.read("unlocked") == 1


async def scenario_past_the_port(tb, dut):
    """keys has 11 bits"""
    tb.set("keys[11]", 1)
```'''


def test_a_scenario_drives_bit_selects_of_an_input(combo_lock, evaluator):
    obs = second_step(combo_lock, BIT_SELECTS, evaluator)
    assert obs.outcome is Outcome.PASSED, obs.error
    results = scenario_results(obs.notes)
    assert results["scenario_fields"] == "ok" and results["scenario_open_by_bits"] == "ok", results
    assert results["scenario_past_the_port"].startswith("ValueError") and "past the 11 bits" in results[
        "scenario_past_the_port"], results


@pytest.mark.parametrize("name", ["combo_lock", "alu8"])
def test_the_system_prompts_example_scenario_runs(name, evaluator):
    """The example the models copy is a scenario the harness runs clean."""
    from pytest_llm4cov.design import load_design
    from pytest_llm4cov.hybrid_prompt import example_scenario

    design = load_design(DESIGNS / name)
    example = example_scenario(design.interface)
    obs = second_step(design, f"```python\n{example}\n```", evaluator)
    assert obs.outcome is Outcome.PASSED, obs.error
    assert scenario_results(obs.notes) == {"scenario_example": "ok"}, obs.notes


# An internal unpacked array read through the harness: packed whole, or one element for a mirror.
ARRAY_READS = '''```python
async def scenario_array(tb, dut):
    """cam_lookup's stored keys, key[0:7]"""
    tb.set("wr_en", 1)
    tb.set("wr_idx", 3)
    tb.set("wr_key", 0x1234)
    tb.set("wr_valid", 1)
    await tb.step(1)
    tb.set("wr_en", 0)
    await tb.step(1)
    whole = tb.read("key")
    assert whole is not None and 0x1234 in [(whole >> (16 * k)) & 0xFFFF for k in range(8)], whole
    picks = {tb.read_element("key") for _ in range(64)}
    assert 0x1234 in picks and picks <= {0, 0x1234}, picks
```'''


def test_an_internal_array_reads_packed_or_one_element_at_a_time(evaluator):
    """``int()`` of an unpacked array raises: read as unknown, the built-in's mirror of ``key[0:7]`` onto
    ``lk_key`` never fired and the functional bins of array inputs could never be hit."""
    from pytest_llm4cov.design import load_design

    design = load_design(DESIGNS / "cam_lookup")
    obs = second_step(design, ARRAY_READS, evaluator)
    assert obs.outcome is Outcome.PASSED, obs.error
    assert scenario_results(obs.notes) == {"scenario_array": "ok"}, obs.notes


def test_harness_methods_called_on_dut_run_after_repair(combo_lock, evaluator):
    """Unrepaired, ``dut.set`` raises AttributeError (cocotb looks for a signal named ``set``)."""
    reply = '''```python
async def scenario_read_on_dut(tb, dut):
    """press key 4"""
    dut.set("keys", 1 << 4)
    await tb.step(24)
    if dut.read("unlocked") == 0:
        dut.set("keys", 0)
        await tb.step(24)
```'''
    obs = second_step(combo_lock, reply, evaluator)
    assert scenario_results(obs.notes) == {"scenario_read_on_dut": "ok"}, obs.notes


def test_a_reply_stopped_for_repeating_itself_is_said_so_and_cut_like_a_truncated_one(combo_lock, evaluator):
    from pytest_llm4cov.state import State

    looping = "```python\nasync def scenario_loop(tb, dut):\n" + "    await tb.step(20000)\n" * 12
    policy = HybridPolicy(ScriptedPolicy([looping], finish_reasons=["repetition"]), max_tokens=512)
    scaffold = policy.propose(State(combo_lock), 0).testbench
    before = evaluator.evaluate(combo_lock.build, scaffold)
    step = policy.propose(State(combo_lock, scaffold, before, step=0), 1)
    notes = step.info["notes"]
    assert any("repeated the same lines over and over" in n for n in notes), notes
    assert any("cut off" in n for n in notes), notes  # its last line dropped, as at the token limit
