"""Static repair of model-written testbenches: fixes that keep the meaning, findings that do not."""

from __future__ import annotations

import ast

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_llm4cov.repair import repair

PORTS = ["clk", "rst_n", "en", "count"]


def test_dut_assignment_becomes_value_write():
    r = repair("import cocotb\n@cocotb.test()\nasync def t(dut):\n    dut.en = 1\n    x = dut.count.value\n", PORTS)
    assert "    dut.en.value = 1\n" in r.source
    assert "x = dut.count.value" in r.source
    assert any("dut.en = ..." in f for f in r.fixes)
    assert r.findings == []


def test_cocotb1_names_and_missing_imports():
    src = (
        '"""doc"""\n@cocotb.test()\nasync def t(dut):\n'
        "    cocotb.start_soon(Clock(dut.clk, 10, units='ns').start())\n    await RisingEdge(dut.clk)\n"
    )
    r = repair(src, PORTS)
    tree = ast.parse(r.source)
    assert "unit='ns'" in r.source and "units=" not in r.source
    assert r.source.startswith('"""doc"""\nimport cocotb\nfrom cocotb.clock import Clock\n')
    assert "from cocotb.triggers import RisingEdge" in r.source
    assert tree  # still valid Python
    assert len(r.fixes) == 2 and r.findings == []


def test_unknown_port_and_undefined_name_are_reported_not_changed():
    src = "import cocotb\n@cocotb.test()\nasync def t(dut):\n    dut.enable.value = MAX_COUNT\n"
    r = repair(src, PORTS)
    assert r.source == src
    assert r.findings == [
        "line 4: `dut.enable` is not a port of the design (ports: clk, count, en, rst_n)",
        "line 4: `MAX_COUNT` is used but never defined or imported",
    ]
    assert all(n.startswith("problem: ") for n in r.notes)


def test_syntax_error_left_for_the_evaluator():
    r = repair("def broken(:\n", PORTS)
    assert r.source == "def broken(:\n" and r.fixes == []


def test_clean_testbench_is_untouched():
    src = (
        "import cocotb\nfrom cocotb.triggers import Timer\n\n@cocotb.test()\nasync def t(dut):\n"
        "    dut.en.value = 1\n    await Timer(1, unit='ns')\n    assert dut.count.value == 0\n"
    )
    r = repair(src, PORTS)
    assert r.source == src and r.fixes == [] and r.findings == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_never_raises_on_arbitrary_text(text):
    r = repair(text, PORTS)
    assert isinstance(r.source, str)


def test_awaiting_a_scaffold_method_without_calling_it_is_fixed():
    r = repair("async def scenario_a(tb, dut):\n    await tb.step\n    await tb.step(2)\n    await tb.reset\n", PORTS)
    assert r.source == "async def scenario_a(tb, dut):\n    await tb.step()\n    await tb.step(2)\n    await tb.reset()\n"
    assert r.fixes == ["awaited `tb.reset`, `tb.step` without calling it; wrote `tb.reset()`, `tb.step()`"]


def test_cocotb_fork_and_internal_signals():
    src = "import cocotb\nasync def t(dut):\n    cocotb.fork(x())\n    y = dut.state.value\n    z = dut.nothing.value\n"
    r = repair(src, PORTS, signals={"state", "x", "y"}, inputs=["en"])
    assert "cocotb.start_soon(x())" in r.source
    assert any("cocotb.fork" in f for f in r.fixes)
    assert [f for f in r.findings if "dut." in f] == [
        "line 5: `dut.nothing` is not a port of the design (ports: clk, count, en, rst_n)"
    ]


def test_verilog_literals_become_python_integers_only_where_the_code_does_not_parse():
    src = "async def s(tb, dut):\n    tb.set('paddr', 8'h0F)\n    tb.set('pwdata', 32'hDEAD_BEEF)\n    tb.set('m', 'b101)\n"
    r = repair(src, PORTS)
    assert "tb.set('paddr', 0x0F)" in r.source and "0xDEADBEEF" in r.source and "0b101" in r.source
    assert "wrote Verilog literal `8'h0F` as the Python integer `0x0F`" in r.fixes
    ast.parse(r.source)
    valid = "x = 'h10'\ny = \"it's 8'h00\"\n"  # parses as it is: left alone
    assert repair(valid, PORTS).source == valid and repair(valid, PORTS).fixes == []
    unknown = "x = 4'bxx01\n"  # no Python value: left for the syntax error to report
    assert repair(unknown, PORTS).source == unknown


def test_awaiting_a_plain_scaffold_call_loses_the_await():
    r = repair("async def s(tb, dut):\n    await tb.set('a', 1)\n    x = await tb.read('b')\n", PORTS)
    assert r.source == "async def s(tb, dut):\n    tb.set('a', 1)\n    x = tb.read('b')\n"
    assert r.fixes == ["`tb.read(...)`, `tb.set(...)` is a plain call, not a coroutine: removed the `await`"]


EXAMPLE = '''import random

import cocotb

VALUES = {'en': [0, 1]}
CYCLES = 20
HOLD = 528  # four pauses


def pick(name, width):
    if name in VALUES and random.random() < 0.5:
        return random.choice(VALUES[name])
    return random.getrandbits(width)


@cocotb.test()
async def test_values(dut):
    pass
'''


def test_a_name_the_prompts_example_defines_is_added_from_it_with_what_it_uses():
    # A small model's copy of the example that lost `HOLD = ...` and the `pick` helper (a NameError each run).
    src = (
        "import cocotb\nfrom cocotb.triggers import ClockCycles\n\nCYCLES = 1000\n\n\n@cocotb.test()\n"
        "async def t(dut):\n    for cycle in range(CYCLES):\n        await ClockCycles(dut.clk, HOLD)\n"
        "        dut.en.value = pick('en', 1)\n"
    )
    r = repair(src, PORTS, example=EXAMPLE)
    assert r.findings == []
    assert r.fixes[0] == "`VALUES`, `HOLD`, `pick` used but never defined: added the prompt example's definition"
    assert "CYCLES = 1000\n" in r.source and "CYCLES = 20" not in r.source  # what the reply defines stays its own
    assert r.source.index("HOLD = 528") < r.source.index("@cocotb.test()")
    assert r.fixes[1] == "added missing imports: import random"  # pick needs it
    namespace: dict = {}
    exec(compile(r.source.replace("@cocotb.test()\n", ""), "tb", "exec"), namespace)  # defines all it uses
    assert namespace["HOLD"] == 528 and namespace["pick"]("x", 4) in range(16)


def test_without_the_example_an_undefined_name_is_only_reported():
    src = "import cocotb\n@cocotb.test()\nasync def t(dut):\n    dut.en.value = pick('en', 1)\n"
    assert repair(src, PORTS).source == src
    assert any("`pick` is used but never defined" in f for f in repair(src, PORTS).findings)


RESET_FREE_REPLY = (
    "import cocotb\nfrom cocotb.triggers import Timer\n\n\n@cocotb.test()\nasync def t(dut):\n"
    "    await reset(dut)\n"
    "    for cycle in range(10):\n"
    "        if cycle == 5:\n"
    "            await reset()\n"
    "        dut.en.value = cycle & 1\n"
    "        await Timer(1, unit='ns')\n"
    "    while False:\n"
    "        reset(dut)\n"
)


def test_a_design_without_a_reset_loses_the_reset_calls_the_reply_never_defines():
    # wm4 on barrel_shifter (no clock, no reset) kept the training designs' reset half way: a NameError each run.
    r = repair(RESET_FREE_REPLY, PORTS, reset_free=True)
    assert r.findings == []
    assert r.fixes == ["line 7, 9, 14: the design has no reset and nothing defines `reset`: removed the call"]
    assert "reset" not in r.source
    assert "        dut.en.value = cycle & 1\n" in r.source and "    while False:\n        pass\n" in r.source
    ast.parse(r.source)


def test_reset_calls_stay_where_the_design_has_a_reset_or_the_reply_defines_one():
    kept = repair(RESET_FREE_REPLY, PORTS)
    assert kept.source == RESET_FREE_REPLY and any("`reset` is used but never defined" in f for f in kept.findings)
    defined = RESET_FREE_REPLY + "\n\nasync def reset(dut=None):\n    pass\n"
    assert repair(defined, PORTS, reset_free=True).source == defined
    shared = "import cocotb\n@cocotb.test()\nasync def t(dut):\n    dut.en.value = 1; await reset(dut)\n"
    assert repair(shared, PORTS, reset_free=True).source == shared  # one line, two statements: only reported


def _module_value(source: str, name: str) -> object:
    """The value ``name`` gets at module level (literal assignments only)."""
    tree = ast.parse(source)
    node = next(
        n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == name
    )
    return ast.literal_eval(node.value)


def test_a_stray_comma_that_makes_a_used_dict_a_tuple_is_removed():
    """wm4 on Ibex's load-store unit: ``INPUT_WIDTHS = {...},`` then ``.items()``, dead in 3 steps of 4."""
    loop = "\n\nasync def t(dut):\n    for name, width in WIDTHS.items():\n        getattr(dut, name).value = 0\n"
    written = ("WIDTHS = {'en': 1, 'count': 4},", "WIDTHS = ({'en': 1,\n    'count': 4},)", "WIDTHS = {'d': 'é'} ,")
    for assign in written:
        r = repair("import cocotb\n" + assign + loop, PORTS)
        assert isinstance(_module_value(r.source, "WIDTHS"), dict), r.source
        assert r.fixes == ["line 2: `WIDTHS = {...},` is a tuple holding the dict, used as a dict: removed the "
                           "trailing comma"]
    r = repair("import cocotb\nW = {'en': 1},\nasync def t(dut):\n    dut.en.value = W['en']\n", PORTS)
    assert _module_value(r.source, "W") == {"en": 1}


def test_a_one_element_tuple_not_used_as_a_dict_is_kept():
    src = (
        "import cocotb\nCASES = {'en': 1},\n\nasync def t(dut):\n"
        "    for case in CASES:\n        dut.en.value = case['en']\n"
    )
    r = repair(src, PORTS)
    assert r.source == src and r.fixes == []


def test_an_output_in_a_table_a_loop_drives_is_removed():
    """wm4 on Ibex's slow multiplier: an output array in ``INPUT_WIDTHS``, every step dead of a TypeError."""
    loop = ("\n\nasync def t(dut):\n    for name, width in WIDTHS.items():\n"
            "        if width:\n            getattr(dut, name).value = 0\n")
    written = {
        "WIDTHS = {'en': 1, 'count': 4, 'rst_n': 1}": {"en": 1, "rst_n": 1},
        "WIDTHS = {'count': 4, 'en': 1}": {"en": 1},
        "WIDTHS = {\n    'en': 1,  # é\n    'count': 4,\n}": {"en": 1},
        "WIDTHS = {'en': 1, 'count': 4, 'q': 2}": {"en": 1},  # two outputs at the end
    }
    for table, kept in written.items():
        r = repair("import cocotb\n" + table + loop, PORTS, outputs=["count", "q"])
        assert _module_value(r.source, "WIDTHS") == kept, r.source
        assert len(r.fixes) == 1 and "is an output: removed from the table" in r.fixes[0]


def test_an_unpacked_array_in_a_table_a_loop_drives_is_removed_under_any_spelling():
    """wm4 at prompt 10 on Ibex's slow multiplier: ``'imd_val_q_i[2]': 2`` in INPUT_WIDTHS (no such handle), the
    array itself driven element by element below it."""
    src = ("import cocotb\nWIDTHS = {'en': 1, 'lanes[2]': 2, 'lanes': 8}\n\nasync def t(dut):\n"
           "    for name, width in WIDTHS.items():\n        getattr(dut, name).value = 0\n"
           "    dut.lanes.value = [0] * 2\n")
    r = repair(src, [*PORTS, "lanes"], outputs=["count"], arrays=["lanes"])
    assert _module_value(r.source, "WIDTHS") == {"en": 1}
    assert "dut.lanes.value = [0] * 2" in r.source
    assert r.fixes == ["line 2: `WIDTHS` drives each key with one value, and `lanes[2]` is an unpacked array (a list "
                       "drives it), `lanes` is an unpacked array (a list drives it): removed from the table"]


def test_tables_that_no_loop_drives_or_that_hold_no_input_are_kept():
    kept = (
        "import cocotb\nEXPECT = {'en': 1, 'count': 4}\n\nasync def t(dut):\n"
        "    for name, want in EXPECT.items():\n        assert getattr(dut, name).value == want\n",
        "import cocotb\nOUTS = {'count': 4}\n\nasync def t(dut):\n"
        "    for name in OUTS:\n        getattr(dut, name).value = 0\n",
    )
    for src in kept:
        r = repair(src, PORTS, outputs=["count"])
        assert r.source == src and r.fixes == []


def test_an_unused_name_cocotb_does_not_have_leaves_the_import():
    """The untrained 1.5B imported `ClockEdge` (no such name) in every step on one module, and never used it:
    the ImportError alone cost the run. A builtin imported from cocotb means the builtin."""
    source = (
        "import cocotb\nfrom cocotb.clock import Clock, ClockEdge\nfrom cocotb.utils import int\n"
        "from cocotb.model import Port\nfrom cocotb.triggers import Join, Timer\n\n\n"
        "@cocotb.test()\nasync def t(dut):\n    cocotb.start_soon(Clock(dut.clk, 10).start())\n"
        "    await Timer(1)\n    assert int(dut.q.value) == 0\n"
    )
    r = repair(source, ["clk", "q"])
    assert "from cocotb.clock import Clock\n" in r.source
    assert "cocotb.utils" not in r.source and "cocotb.model" not in r.source
    assert "from cocotb.triggers import Join, Timer\n" in r.source  # Join: cocotb moved it, and still answers
    assert r.fixes == [
        "line 2: `cocotb.clock` has no `ClockEdge`: removed from the import",
        "line 3: `cocotb.utils` has no `int`: removed from the import",
        "line 4: there is no module `cocotb.model`: removed the import of `Port`",
    ]
    ast.parse(r.source)


def test_a_missing_name_the_testbench_uses_stays_for_the_evaluator_to_report():
    source = (
        "import cocotb\nfrom cocotb.clock import ClockEdge\n\n\n"
        "@cocotb.test()\nasync def t(dut):\n    ClockEdge(dut.clk)\n"
    )
    assert repair(source, ["clk"]).source == source
    nested = "import cocotb\n\n\n@cocotb.test()\nasync def t(dut):\n    from cocotb.model import Port\n"
    assert repair(nested).source.endswith("async def t(dut):\n    pass\n")  # the block keeps a statement


def test_star_imports_and_imports_sharing_a_line_are_left_alone():
    star = "from cocotb.triggers import *\nfrom cocotb.clock import *\n\n\n"
    star += "async def t(dut):\n    raise SimTimeoutError\n"
    assert repair(star).source == star
    for shared in (
        "import cocotb; from cocotb.clock import ClockEdge\n",
        "if True: from cocotb.clock import ClockEdge\n",
        "try: from cocotb.clock import ClockEdge\nexcept ImportError: pass\n",
    ):
        assert repair(shared).source == shared
    tabs = "def f():\n\tfrom cocotb.clock import Clock, ClockEdge  # clocks\n\treturn Clock\n"
    assert repair(tabs).source == "def f():\n\tfrom cocotb.clock import Clock  # clocks\n\treturn Clock\n"
