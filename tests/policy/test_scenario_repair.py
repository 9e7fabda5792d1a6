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
