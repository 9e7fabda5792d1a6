"""Scenario replies -> pieces -> a spliced testbench; no simulator (test_hybrid.py runs them)."""

from __future__ import annotations

import ast

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_llm4cov.scenarios import (
    BEGIN,
    END,
    MAX_KEPT,
    MAX_NEW,
    Scenario,
    loadable,
    merge,
    parse_scenarios,
    pieces_of,
    scenario_results,
    splice,
)

SCAFFOLD = (
    '"""tb"""\n\nimport random\n\nimport cocotb\nfrom cocotb.clock import Clock\n'
    "from cocotb.triggers import FallingEdge, Timer\n\n\nclass TB:\n    pass\n"
)


def test_scenarios_helpers_and_tests_are_kept_prose_and_calls_dropped():
    reply = (
        "Sure! Here are scenarios:\n```python\nimport random\nLIMIT = 5\n\n"
        'async def scenario_star(tb, dut):\n    """line 53: star key"""\n    tb.set("keys", 1 << 10)\n'
        "    await tb.step(3)\n\n@cocotb.test()\nasync def test_wrong_code(dut):\n    dut.keys.value = 1\n\n"
        "def helper(x):\n    return x + 1\n\nprint('hi')\n```\nThese cover line 53."
    )
    parsed = parse_scenarios(reply)
    assert [(p.name, p.runs) for p in parsed.pieces] == [
        ("import random", False), ("LIMIT = 5", False), ("scenario_star", True),
        ("scenario_wrong_code", True), ("helper", False),
    ]
    assert parsed.pieces[2].doc == "line 53: star key"
    assert "@cocotb.test" not in parsed.pieces[3].source and "def scenario_wrong_code(dut)" in parsed.pieces[3].source
    assert parsed.fixes == ("`test_wrong_code` is a test; made it the scenario `scenario_wrong_code` "
                            "(the harness starts it after a reset)",)
    assert parsed.problems == ("dropped top-level `print('hi')`: only definitions are kept",)
    assert parsed.how == "fenced"


def test_a_reply_cut_at_the_limit_keeps_its_complete_scenarios():
    reply = "```python\nasync def scenario_a(tb, dut):\n    await tb.step(2)\n\nasync def scenario_b(tb, dut):\n    for i in range("
    parsed = parse_scenarios(reply, truncated=True)
    assert [p.name for p in parsed.scenarios] == ["scenario_a"]
    (problem,) = parsed.problems
    assert problem.startswith("dropped `async def scenario_b(tb, dut):`: not valid Python")
    assert "cut off at the token limit" in problem


def test_verilog_literals_in_a_scenario_are_repaired_not_dropped():
    parsed = parse_scenarios("```python\nasync def scenario_w(tb, dut):\n    tb.set('paddr', 8'h04)\n    await tb.step(1)\n```")
    (scenario,) = parsed.scenarios
    assert "tb.set('paddr', 0x04)" in scenario.source
    assert parsed.fixes == ("wrote Verilog literal `8'h04` as the Python integer `0x04`",)
    assert parsed.problems == ()


def test_the_unfinished_last_line_of_a_cut_reply_is_dropped():
    reply = "```python\nasync def scenario_a(tb, dut):\n    tb.set('a', 1)\n    await tb.step(2)\n    await tb"
    parsed = parse_scenarios(reply, truncated=True)
    (scenario,) = parsed.scenarios
    assert scenario.source.rstrip().endswith("await tb.step(2)")
    assert parsed.fixes == ("the reply was cut off at the token limit: dropped its unfinished last line `await tb`",)
    assert parse_scenarios(reply, truncated=True, fix=False).scenarios[0].source.rstrip().endswith("await tb")


def test_empty_prose_and_plain_def_replies_say_why():
    assert parse_scenarios("").problems[0].startswith("the reply was empty")
    assert "no ```python block" in parse_scenarios("I cannot help with that.").problems[0]
    plain = parse_scenarios("```python\ndef scenario_x(tb, dut):\n    tb.set('a', 1)\n```", fix=False)
    assert plain.scenarios == () and "must be coroutines" in plain.problems[0]  # repaired: test_scenario_repair.py
    nothing = parse_scenarios("```python\nX = 1\n```")
    assert nothing.problems == ("the reply held no `async def scenario_...(tb, dut):` function",)


def test_at_most_max_new_scenarios_per_reply():
    body = "\n".join(f"async def scenario_{i}(tb, dut):\n    await tb.step(1)\n" for i in range(MAX_NEW + 2))
    parsed = parse_scenarios(f"```python\n{body}```")
    assert len(parsed.scenarios) == MAX_NEW
    assert parsed.problems[0].startswith(f"only {MAX_NEW} new scenarios per step")


def test_splice_round_trips_and_merge_renames_and_caps():
    a = Scenario("scenario_a", "async def scenario_a(tb, dut):\n    await tb.step(1)", True)
    helper = Scenario("helper", "def helper():\n    return 1", False)
    again = Scenario("scenario_a", "async def scenario_a(tb, dut):\n    await tb.step(2)", True)
    merged = merge([a, helper], [again])
    assert [p.name for p in merged] == ["scenario_a", "helper", "scenario_a_2"]
    assert "def scenario_a_2(tb, dut)" in merged[2].source
    text = splice(SCAFFOLD, merged)
    ast.parse(text)
    assert text.index(BEGIN) < text.index("def scenario_a_2") < text.index(END)
    assert "SCENARIOS = [scenario_a, scenario_a_2]" in text
    assert "from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge, Timer, with_timeout" in text
    assert [p.name for p in pieces_of(text)] == ["scenario_a", "helper", "scenario_a_2"]
    assert splice(SCAFFOLD, []) == SCAFFOLD
    many = [Scenario(f"scenario_{i}", f"async def scenario_{i}(tb, dut):\n    pass", True) for i in range(MAX_KEPT + 3)]
    assert [p.name for p in merge(many[:MAX_KEPT], many[MAX_KEPT:])] == [p.name for p in many[3:]]


def test_results_are_read_from_notes():
    notes = ["output limit", "scenario scenario_a ok", "scenario scenario_b raised NameError: x at `y = x`"]
    assert scenario_results(notes) == {"scenario_a": "ok", "scenario_b": "NameError: x at `y = x`"}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_parse_scenarios_never_raises_and_keeps_only_valid_python(text):
    parsed = parse_scenarios(text)
    for piece in parsed.pieces:
        ast.parse(piece.source)
    compile(splice(SCAFFOLD, list(parsed.pieces)), "tb.py", "exec")  # the testbench loads whatever the reply


def test_pieces_that_would_stop_the_testbench_loading_are_dropped_with_the_reason():
    """Seen with a trained 0.5B on cam_lookup and cmd_parser: an import that does not resolve and ``await``
    in a plain method parse, then stop the whole testbench from loading (score 0 for the step, the
    scaffold's coverage lost). Each is dropped alone; the scenario beside them is kept."""
    reply = (
        "```python\n"
        "from cocotb.triggers import pytest\n"
        "from cocotb.triggers import ClockCycles, FallingEdge\n"
        "import no_such_module_here\n"
        "import cocotb.no_such_submodule\n"
        "from . import sibling\n"
        "import random\n\n"
        "class TestCmdParser:\n"
        "    def test_read(self):\n"
        "        await FallingEdge(self.dut.clk)\n\n"
        "async def scenario_ok(tb, dut):\n"
        "    await ClockCycles(dut.clk, 2)\n"
        "```"
    )
    parsed = parse_scenarios(reply)
    assert [p.name for p in parsed.pieces] == [
        "from cocotb.triggers import ClockCycles, FallingEdge", "import random", "scenario_ok"]
    why = "\n".join(parsed.problems)
    assert "cocotb.triggers has no pytest" in why
    assert "no module named 'no_such_module_here'" in why
    assert "no module named 'cocotb.no_such_submodule'" in why
    assert "relative import" in why
    assert "dropped `class TestCmdParser:`: 'await' outside async function" in why
    namespace: dict = {}
    exec(compile("\n".join(p.source for p in parsed.pieces if not p.runs), "tb.py", "exec"), namespace)


def test_rtl_constants_are_defined_before_the_scenarios_unless_the_scaffold_owns_the_name():
    from pytest_llm4cov.scenarios import constants_block

    a = Scenario("scenario_a", "async def scenario_a(tb, dut):\n    tb.set('paddr', A_CTRL)", True)
    text = splice(SCAFFOLD + "SEED = 3\n", [a], constants={"A_CTRL": 0, "SYNC": 126, "SEED": 9, "class": 1})
    ast.parse(text)
    assert "A_CTRL = 0\nSYNC = 0x7e\n" in text
    assert text.index("SYNC = 0x7e") < text.index("async def scenario_a")
    assert "SEED = 9" not in text and "class = 1" not in text
    assert constants_block({}, SCAFFOLD) == ""


def test_pieces_whose_load_time_code_needs_undefined_names_are_dropped():
    """``class T(unittest.TestCase)`` with no import (the stage-1 student on cmd_parser) raises NameError when
    the module loads: dropped with the reason. Names the scaffold, the RTL constants, earlier pieces and
    repair's imports define are fine, and so is anything used only inside a function body."""
    reply = (
        "```python\n"
        "class TestCmdParser(unittest.TestCase):\n    pass\n\n"
        "WIDTH2 = WIDTH * 2\n\n"
        "LIMIT = WIDTH2 + len(TB.__name__)\n\n"
        "STEP = Timer(1, unit='ns')\n\n"
        "class Seq:\n    N = 4\n    M = N + MISSING\n\n"
        "async def helper(tb, n=WIDTH2):\n    await tb.step(undefined_at_run_time)\n\n"
        "async def scenario_ok(tb, dut):\n    await helper(tb)\n"
        "```"
    )
    pieces, problems = loadable(parse_scenarios(reply).pieces, SCAFFOLD, {"WIDTH": 8})
    assert [p.name for p in pieces] == ["WIDTH2 = WIDTH * 2", "LIMIT = WIDTH2 + len(TB.__name__)",
                                        "STEP = Timer(1, unit='ns')", "helper", "scenario_ok"]
    assert problems == [
        "dropped `class TestCmdParser(unittest.TestCase):`: it needs `unittest` when the testbench loads, and "
        "nothing defines it",
        "dropped `class Seq:`: it needs `MISSING` when the testbench loads, and nothing defines it",
    ]


def test_a_new_helper_with_a_kept_helpers_name_does_not_replace_it():
    """Seen with the stage-4 student: its new `start` helper, defined again under the kept one's name, made the
    earlier scenario that had run clean raise. The new helper and the new pieces' calls get a numbered name."""
    kept = [Scenario("start", "async def start(tb):\n    tb.set('a', 1)", False),
            Scenario("scenario_a", "async def scenario_a(tb, dut):\n    await start(tb)", True)]
    new = [Scenario("start", "async def start(tb):\n    tb.set('b', 1)", False),
           Scenario("scenario_b", "async def scenario_b(tb, dut):\n    await start(tb)\n    x = tb.start", True)]
    merged = merge(kept, new)
    assert [p.name for p in merged] == ["start", "scenario_a", "start_2", "scenario_b"]
    assert merged[1].source.endswith("await start(tb)")
    assert merged[2].source.startswith("async def start_2(tb):")
    assert merged[3].source.endswith("await start_2(tb)\n    x = tb.start")
    assert merge(kept, []) == kept
