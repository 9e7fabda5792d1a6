"""Scenario repair: a scenario that uses ``tb`` without taking it gets the parameter (the untrained 1.5B wrote
``async def scenario_x(dut)`` in every step on a calendar design, and each one raised NameError)."""

from __future__ import annotations

from pytest_llm4cov.scenarios import parse_scenarios


def test_missing_tb_parameter_is_added():
    reply = "```python\nasync def scenario_roll(dut):\n    tb.set(\"en\", 1)\n    await tb.step(5)\n```"
    parsed = parse_scenarios(reply)
    (piece,) = parsed.pieces
    assert piece.source.startswith("async def scenario_roll(tb, dut):")
    assert any("added the parameter" in f for f in parsed.fixes)
    compile(piece.source, "<scenario>", "exec")


def test_an_unused_parameter_is_renamed_tb_rather_than_left_unfilled():
    """The 1.5B teacher on cam_lookup: ``(tbl, dut)`` with a body on ``tb``. Adding ``tb`` beside ``tbl`` left
    ``tbl`` for the harness to fill with nothing (TypeError); the unused name becomes ``tb`` instead."""
    reply = "```python\nasync def scenario_hit(tbl, dut):\n    tb.set(\"lk_en\", 1)\n    await tb.step(2)\n```"
    parsed = parse_scenarios(reply)
    assert parsed.pieces[0].source.startswith("async def scenario_hit(tb, dut):")
    assert any("renamed it `tb`" in f for f in parsed.fixes)
    used = "```python\nasync def scenario_two(bench, dut):\n    bench.go = 1\n    await tb.step(2)\n```"
    assert parse_scenarios(used).pieces[0].source.startswith("async def scenario_two(tb, bench, dut):")


def test_no_parameters_at_all():
    parsed = parse_scenarios("```python\nasync def scenario_idle():\n    await tb.step(1)\n```")
    assert parsed.pieces[0].source.startswith("async def scenario_idle(tb):")


def test_left_alone_when_tb_is_taken_or_unused():
    ok = "```python\nasync def scenario_a(tb, dut):\n    await tb.step(1)\n```"
    assert parse_scenarios(ok).pieces[0].source.startswith("async def scenario_a(tb, dut):")
    assert not parse_scenarios(ok).fixes
    unused = "```python\nasync def scenario_b(dut):\n    dut.en.value = 1\n```"
    assert parse_scenarios(unused).pieces[0].source.startswith("async def scenario_b(dut):")
    as_written = parse_scenarios("```python\nasync def scenario_c(dut):\n    await tb.step(1)\n```", fix=False)
    assert as_written.pieces[0].source.startswith("async def scenario_c(dut):")  # "before repair" stays raw


def test_a_plain_def_scenario_becomes_a_coroutine_and_its_bare_waits_are_awaited():
    """Seen with the stage-3 student on cam_lookup: ``def scenario_x(tb, dut):`` (dropped before: the harness
    awaits it) and ``tb.step(2)`` written without ``await`` (a coroutine created and dropped)."""
    reply = ("```python\ndef scenario_fill(tb, dut):\n    tb.set('we', 1)\n    tb.step(2)\n"
             "    if True:\n        tb.reset()\n```")
    parsed = parse_scenarios(reply)
    (piece,) = parsed.scenarios
    assert piece.source.startswith("async def scenario_fill(tb, dut):")
    assert "    await tb.step(2)\n" in piece.source
    assert "        await tb.reset()" in piece.source
    assert "tb.set('we', 1)" in piece.source
    assert "await tb.set" not in piece.source
    assert any("made it `async def`" in f for f in parsed.fixes)
    assert any("added the missing `await` (2 call(s))" in f for f in parsed.fixes)
    compile(piece.source, "<scenario>", "exec")
    assert parse_scenarios(reply, fix=False).scenarios == ()  # "before repair" still drops it


def test_a_plain_def_with_await_inside_is_made_async_and_a_generator_is_not():
    awaited = parse_scenarios("```python\n@cocotb.test()\ndef test_x(dut):\n    await tb.step(1)\n```")
    (piece,) = awaited.scenarios
    assert piece.name == "scenario_x"
    assert piece.source.startswith("async def scenario_x(tb, dut):")
    generator = parse_scenarios("```python\ndef scenario_g(tb, dut):\n    yield 1\n```")
    assert generator.scenarios == ()
    assert "must be coroutines" in generator.problems[0]


def test_waits_already_awaited_or_in_nested_plain_functions_are_left_alone():
    reply = ("```python\nasync def scenario_a(tb, dut):\n    await tb.step(1)\n    def later():\n        tb.step(3)\n"
             "    x = tb.step(4)\n    await x\n```")
    parsed = parse_scenarios(reply)
    assert parsed.fixes == ()
    assert "        tb.step(3)" in parsed.scenarios[0].source


def test_a_reply_of_helpers_alone_has_its_uncalled_tb_coroutine_made_the_scenario():
    reply = ("```python\nasync def press(tb, key):\n    tb.set('keys', 1 << key)\n    await tb.step(20)\n\n"
             "async def open_lock(tb, dut):\n    for k in (4, 7, 1, 9):\n        await press(tb, k)\n```")
    parsed = parse_scenarios(reply.replace("    await tb.step(20)", "    tb.step(20)"))  # the helper's wait awaited too
    assert "    await tb.step(20)" in parsed.pieces[0].source
    assert [(p.name, p.runs) for p in parsed.pieces] == [("press", False), ("scenario_open_lock", True)]
    assert parsed.pieces[1].source.startswith("async def scenario_open_lock(tb, dut):")
    assert any("made it the scenario `scenario_open_lock`" in f for f in parsed.fixes)
    assert parsed.problems == ()
    assert len(parsed.fixes) == 2
    # a reply that has a scenario keeps its helpers as helpers
    with_one = parse_scenarios(reply[:-3] + "\nasync def scenario_x(tb, dut):\n    await open_lock(tb, dut)\n```")
    assert [p.name for p in with_one.scenarios] == ["scenario_x"]


def test_set_on_an_output_or_internal_signal_is_dropped_and_named():
    from pytest_llm4cov.scenario_repair import drop_undrivable_sets

    source = (
        "async def scenario_s(tb, dut):\n"
        "    tb.set('unlocked', 1)\n"
        "    tb.set('keys', 1 << 4)\n"
        "    for _ in range(2):\n"
        "        tb.set('fails',\n"
        "               2)\n"
        "    tb.set('rst_n', 0)\n"
        "    x = 1; tb.set('digits', 3)\n"
        "    await tb.step(1)\n"
    )
    fixes: list[str] = []
    fixed = drop_undrivable_sets(source, "scenario_s", ["keys", "rst_n"], ["unlocked", "fails", "digits"], fixes)
    assert fixed == (
        "async def scenario_s(tb, dut):\n"
        "    tb.set('keys', 1 << 4)\n"
        "    for _ in range(2):\n"
        "        pass\n"
        "    tb.set('rst_n', 0)\n"
        "    x = 1; tb.set('digits', 3)\n"  # shares its line: left to raise as written
        "    await tb.step(1)\n"
    )
    assert fixes == [
        "`scenario_s`: dropped `tb.set('unlocked', ...)` (1x): `unlocked` is an output: read it with `tb.read(...)`; "
        "drive only the inputs listed in the interface",
        "`scenario_s`: dropped `tb.set('fails', ...)` (1x): `fails` is an output: read it with `tb.read(...)`; "
        "drive only the inputs listed in the interface",
    ]
    compile(fixed, "<scenario>", "exec")
    assert drop_undrivable_sets("def broken(:\n", "x", [], [], fixes) == "def broken(:\n"


def test_a_bit_select_counts_as_its_port():
    from pytest_llm4cov.scenario_repair import drop_undrivable_sets

    source = "async def scenario_s(tb, dut):\n    tb.set('keys[4]', 1)\n    tb.set('digits[1:0]', 3)\n"
    fixes: list[str] = []
    fixed = drop_undrivable_sets(source, "scenario_s", ["keys"], ["digits"], fixes)
    assert fixed == "async def scenario_s(tb, dut):\n    tb.set('keys[4]', 1)\n"
    assert len(fixes) == 1 and "`digits` is an output" in fixes[0]


def test_a_design_signal_taken_from_tb_is_reached_through_tb_dut():
    """Seen with the base 0.5B on combo_lock (``keys = tb.keys.value``: AttributeError) and the stage-2 student
    (``RisingEdge(tb.clk)``). The harness's own names are left alone, whatever the design calls its signals."""
    from pytest_llm4cov.scenario_repair import handles_through_tb, harness_names

    assert {"set", "read", "step", "reset", "dut"} <= harness_names()
    source = ("async def press(tb, key):\n    tb.keys.value = 1 << key\n    await RisingEdge(tb.clk)\n"
              "    await tb.step(tb.cycles)\n    x = tb.dut.keys.value\n")
    fixes: list[str] = []
    fixed = handles_through_tb(source, "press", ["keys", "clk", "cycles", "step"], fixes)
    assert fixed == ("async def press(tb, key):\n    tb.dut.keys.value = 1 << key\n    await RisingEdge(tb.dut.clk)\n"
                     "    await tb.step(tb.cycles)\n    x = tb.dut.keys.value\n")
    assert fixes == ["`press`: `tb.clk`, `tb.keys`: the design's signals, not the harness's: wrote `tb.dut.<name>` "
                     "(drive inputs with `tb.set`, read with `tb.read`)"]
    assert handles_through_tb(fixed, "press", ["keys", "clk"], []) == fixed


def test_review_cases_stay_valid_and_idempotent():
    """From a review: a backslash continuation kept the dropped line's neighbour dangling (invalid Python);
    a promoted helper lacked `tb`; a decorated plain def lost its test status; a scratch attribute on `tb`
    was rewritten to the DUT; a testbench's kept helpers were promoted when re-read."""
    from pytest_llm4cov.scenario_repair import drop_undrivable_sets, handles_through_tb
    from pytest_llm4cov.scenarios import pieces_of, splice

    continued = 'async def scenario_a(tb, dut):\n    tb.set("keys", 1); \\\n    tb.set("unlocked", 1)\n'
    assert drop_undrivable_sets(continued, "scenario_a", ["keys"], ["unlocked"], []) == continued
    promoted = parse_scenarios("```python\nasync def open_lock(dut):\n    tb.set('keys', 1)\n    await tb.step(2)\n```")
    assert promoted.scenarios[0].source.startswith("async def scenario_open_lock(tb, dut):")
    decorated = parse_scenarios("```python\n@cocotb.test()\ndef run_lock(dut):\n    tb.set('keys', 1)\n```")
    assert [p.name for p in decorated.scenarios] == ["scenario_run_lock"]
    scratch = "async def scenario_b(tb, dut):\n    tb.count = 0\n    tb.count += 1\n    x = tb.keys.value\n"
    fixes: list[str] = []
    assert handles_through_tb(scratch, "scenario_b", ["count", "keys"], fixes) == scratch.replace(
        "tb.keys", "tb.dut.keys")
    assert fixes == ["`scenario_b`: `tb.keys`: the design's signals, not the harness's: wrote `tb.dut.<name>` "
                     "(drive inputs with `tb.set`, read with `tb.read`)"]
    scaffold = ('"""tb"""\n\nimport random\n\nimport cocotb\nfrom cocotb.clock import Clock\n'
                "from cocotb.triggers import FallingEdge, Timer\n\n\nclass TB:\n    pass\n")
    helper = parse_scenarios("```python\nasync def h(tb, dut):\n    await tb.step(1)\n```", promote=False).pieces
    assert [(p.name, p.runs) for p in pieces_of(splice(scaffold, list(helper)))] == [("h", False)]


def test_a_packed_struct_field_assigned_on_dut_is_set_through_tb():
    """The 1.5B on OpenTitan's pattgen: ``dut.ctrl_i.prediv.value = v`` raised AttributeError (a packed struct's
    fields have no handle); the harness sets a field by its bits."""
    from pytest_llm4cov.scenario_repair import struct_fields_through_tb

    source = (
        "async def scenario_x(tb, dut):\n"
        "    dut.ctrl_i.prediv.value = 0xFFFF  # slow\n"
        "    tb.dut.ctrl_i.enable.value = 1\n"
        "    dut.ctrl_i.value = 3\n"
        "    dut.ctrl_i.len.value = 2; x = 1\n"
        "    dut.ctrl_i.nope.value = 1\n"
    )
    fixes: list[str] = []
    fixed = struct_fields_through_tb(source, "scenario_x", ["ctrl_i.prediv", "ctrl_i.enable", "ctrl_i.len"], fixes)
    assert fixed == (
        "async def scenario_x(tb, dut):\n"
        '    tb.set("ctrl_i.prediv", 0xFFFF)  # slow\n'
        '    tb.set("ctrl_i.enable", 1)\n'
        "    dut.ctrl_i.value = 3\n"
        "    dut.ctrl_i.len.value = 2; x = 1\n"  # shares its line: left as written
        "    dut.ctrl_i.nope.value = 1\n"  # no such field: left to raise
    )
    assert len(fixes) == 1 and "`ctrl_i.enable`, `ctrl_i.prediv`" in fixes[0]
    assert struct_fields_through_tb(source, "scenario_x", [], fixes) == source


def test_harness_methods_called_on_dut_are_called_on_tb():
    """The base 0.5B wrote ``dut.read("x")``: a DUT handle has no such method (cocotb looks for a signal named
    ``read``). Where the function takes ``tb`` and the design has no port of that name, it becomes ``tb.read``."""
    from pytest_llm4cov.scenario_repair import TB_METHODS, harness_calls_on_dut, harness_names

    assert set(TB_METHODS) <= harness_names()  # the methods it writes exist on the harness's TB
    source = (
        "async def scenario_x(tb, dut):\n"
        '    dut.set("en", 1)\n'
        '    if dut.read("busy") == 0:\n'
        "        await dut.step(3)\n"
        "    dut.en.value = 0\n"
        "\n"
        "async def helper(dut):\n"
        '    return dut.read("busy")\n'
    )
    fixes: list[str] = []
    fixed = harness_calls_on_dut(source, "scenario_x", ["en", "busy", "step"], fixes)
    assert fixed == (
        "async def scenario_x(tb, dut):\n"
        '    tb.set("en", 1)\n'
        '    if tb.read("busy") == 0:\n'
        "        await dut.step(3)\n"  # the design has a port named `step`: a handle, left alone
        "    dut.en.value = 0\n"
        "\n"
        "async def helper(dut):\n"
        '    return dut.read("busy")\n'  # no `tb` here to call it on
    )
    assert fixes == ["`scenario_x`: `dut.read(...)`, `dut.set(...)`: the harness's methods, not the design's: "
                     "wrote `tb.` for `dut.`"]
    assert harness_calls_on_dut(fixed, "scenario_x", ["en", "busy", "step"], []) == fixed
