"""The sketch policy: the prompt's example grown by mined values, a long run and a reset half way.

It is whole-module data a small model can imitate (trainer/configs/cpu-0.5b-wm2.toml), so it must be a reply
today's parser takes back as it is, run clean, and cover more than the example it grows.
"""

from __future__ import annotations

import pytest

from conftest import DESIGNS
from pytest_llm4cov.design import load_design
from pytest_llm4cov.observation import Outcome
from pytest_llm4cov.policy import get_policy
from pytest_llm4cov.prompt import assistant_turn, render_system
from pytest_llm4cov.response import parse_reply
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench, module_name_for
from tests.policy.test_example import WIDE  # a clock, no reset, 10 inputs: more than the example lists one by one
from tests.policy.test_prompt import ARRAY  # an unpacked array input

UNLOCK = 0x01AC_CE55  # regblock's LOCK register key: `locked <= (wdata != UNLOCK)`


def prompt_example(design) -> str:
    """The example testbench exactly as the whole-module prompt shows it."""
    return render_system(design).split("```python\n")[1].split("```")[0]


def sketch(design, seed: int = 0) -> Testbench:
    return get_policy("sketch").propose(State(design=design), seed).testbench


def test_values_table_lists_what_the_rtl_compares_inputs_with():
    tb = sketch(load_design(DESIGNS / "regblock"))
    values = next(ln for ln in tb.source.splitlines() if ln.strip().startswith("'wdata':"))
    assert hex(UNLOCK) in values
    assert "await reset(dut)" in tb.source.split("for cycle in range(CYCLES):")[1]  # the reset half way


def test_it_is_the_prompts_example_with_a_longer_run_and_a_reset_half_way():
    design = load_design(DESIGNS / "cmd_parser")
    example, grown = prompt_example(design), sketch(design).source

    def table(source):
        return source.split("VALUES = {")[1].split("}")[0]

    assert table(grown) == table(example)  # a student copies the values from the prompt in front of it
    assert "CYCLES = 20\n" in example
    assert "CYCLES = 20\n" not in grown
    assert "cycle == CYCLES // 2" in grown
    assert "cycle == CYCLES // 2" not in example


def test_it_is_a_reply_the_parser_gives_back_unchanged():
    for name in ("regblock", "mag_compare", "pkt_parser"):
        tb = sketch(load_design(DESIGNS / name))
        parsed = parse_reply(assistant_turn(tb.source))
        assert parsed.ok, name
        assert parsed.code.strip() == tb.source.strip(), name


def test_many_inputs_go_into_a_table_and_each_changes_at_its_own_rate(tmp_path):
    (tmp_path / "wide.v").write_text(WIDE)
    design = load_design(tmp_path)
    sources = {sketch(design, seed).source for seed in range(8)}
    assert {s.split("PHASE = ")[1].split()[0] for s in sources} == {"50", "200"}
    for source in sources:
        parsed = parse_reply(assistant_turn(source))
        assert parsed.ok
        assert "INPUT_WIDTHS = {" in source
        assert "async def reset" not in source
        guarded = (
            "            if random.random() < rate.setdefault(name, random.choice(RATES)):\n"
            "                getattr(dut, name).value = pick(name, width)"
        )
        assert guarded in source


def test_seeds_give_best_of_k_different_candidates():
    design = load_design(DESIGNS / "pkt_parser")
    assert len({sketch(design, seed).source for seed in range(4)}) >= 2


def evaluate(design, tb, evaluator):
    obs = evaluator.evaluate(design.build, tb, seed=1)
    assert obs.outcome is Outcome.PASSED, f"{obs.error}\n{obs.log_tail[-2000:]}"
    return obs


@pytest.mark.simulator
def test_on_a_state_machine_it_covers_more_than_the_example(evaluator):
    design = load_design(DESIGNS / "pkt_parser")  # a header of 0xCA, 0xFE, ... in order
    example = Testbench(prompt_example(design), module_name_for(design.top))
    assert evaluate(design, sketch(design), evaluator).score > evaluate(design, example, evaluator).score


@pytest.mark.simulator
def test_its_pauses_let_a_watchdog_window_run_out(evaluator):
    design = load_design(DESIGNS / "watchdog")  # expires after 2,000 cycles without a good kick
    tb = sketch(design)
    assert "HOLD = " in tb.source
    obs = evaluate(design, tb, evaluator)
    expired = next(n for n, ln in enumerate(design.rtl_text["watchdog.v"].splitlines(), 1) if "state   <= S_FIRE" in ln)
    missed = {p.line for p in obs.uncovered() if p.file.endswith("watchdog.v")}
    assert expired not in missed


@pytest.mark.simulator
def test_its_phases_hold_a_serial_line_long_enough_to_receive_a_byte(evaluator):
    design = load_design(DESIGNS / "uart_rx")  # 16 oversampling ticks a bit: inputs changing each cycle never frame one
    obs = evaluate(design, sketch(design), evaluator)
    missed = {p.comment for p in obs.uncovered() if p.metric == "toggle"}
    received = [f"rx_data[{bit}]:0->1" not in missed for bit in range(8)]
    assert any(received), "no bit of rx_data ever rose: no byte was received"


@pytest.mark.simulator
def test_it_runs_clean_without_a_clock(evaluator):
    design = load_design(DESIGNS / "mag_compare")
    assert design.interface.clock is None
    assert evaluate(design, sketch(design), evaluator).score > 0.9


def test_an_array_input_gets_a_list_of_element_values(tmp_path):
    (tmp_path / "arr.v").write_text(ARRAY)
    source = sketch(load_design(tmp_path)).source
    assert "    'a': [0x0, 0xff, 0x1, 0x80]," in source
    assert "dut.a.value = [0] * 2" in source
    assert "dut.a.value = [pick('a', 8) for _ in range(2)]" in source
    assert "'sel': [8, 9, 10, 0, 15, 1]," in source  # the value compared with and its neighbours first
    assert parse_reply(assistant_turn(source)).ok


@pytest.mark.slow  # a design of its own: one more Verilator build
def test_an_array_input_runs(tmp_path, evaluator):
    (tmp_path / "arr.v").write_text(ARRAY)
    design = load_design(tmp_path)
    assert evaluate(design, sketch(design), evaluator).score > 0.9


@pytest.mark.simulator
def test_the_example_control_runs_the_prompts_example_unchanged_at_each_steps_seed(evaluator):
    """Whole-module mode's do-nothing control (row ``example``): what a model that only copies the example
    would score, each step at its own simulation seed, below what the sketch grows it to."""
    from pytest_llm4cov.loop import run_loop

    design = load_design(DESIGNS / "pkt_parser")
    result = run_loop(design, get_policy("example"), evaluator, iterations=2, seed=0)
    assert [s.testbench.source.rstrip() for s in result.steps] == [prompt_example(design).rstrip()] * 2
    assert all(s.observation.outcome is Outcome.PASSED for s in result.steps)
    assert result.steps[0].seed != result.steps[1].seed
    assert evaluate(design, sketch(design), evaluator).score > result.score
