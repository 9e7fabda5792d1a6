"""The built-in policy (the default, behind every headline figure) and the random baseline, on Verilator.

Small train-split designs only (the eval split is for evaluation): regblock (a 32-bit unlock key),
pkt_parser (a state machine that takes 0xCA, 0xFE, ... in order), mag_compare (combinational).
Each directed feature is checked by what it reaches in simulation, against the same plan without it.
"""

from __future__ import annotations

import dataclasses

import pytest

from conftest import DESIGNS
from pytest_llm4cov.design import load_design
from pytest_llm4cov.loop import run_loop
from pytest_llm4cov.policy.builtin import BuiltinPolicy, fit_budget, render, simulated_cycles
from pytest_llm4cov.policy.random_policy import RandomPolicy
from pytest_llm4cov.policy.rtl_facts import Rule
from pytest_llm4cov.state import State

pytestmark = pytest.mark.simulator

UNLOCK = 0x01AC_CE55  # regblock's LOCK register key: `locked <= (wdata != UNLOCK)`


@pytest.fixture(scope="module")
def designs():
    return {name: load_design(DESIGNS / name) for name in ("regblock", "pkt_parser", "mag_compare")}


def hits(obs, line: int, file: str = "") -> int:
    """How often the line point that opens ``line``'s block (in ``file``, if named) was hit (0: uncovered)."""
    counts = [p.count for p in obs.coverage.points if p.metric == "line" and p.line == line and p.file.endswith(file)]
    assert counts, f"no line point on line {line}"
    return max(counts)


def line_of(design, text: str) -> int:
    (source,) = design.rtl_text.values()
    (number,) = [i for i, ln in enumerate(source.splitlines(), 1) if text in ln]
    return number


def line_of_file(design, name: str, text: str) -> int:
    (source,) = [t for f, t in design.rtl_text.items() if str(f).endswith(name)]
    (number,) = [i for i, ln in enumerate(source.splitlines(), 1) if text in ln]
    return number


def first_plan(design):
    policy = BuiltinPolicy()
    return policy.plan(design, policy.facts(design), seed=0, refine=0)


def test_a_mined_magic_value_reaches_its_branch(designs, evaluator):
    regblock = designs["regblock"]
    assert UNLOCK in BuiltinPolicy().facts(regblock).order["wdata"]
    ctrl_write = line_of(regblock, "A_CTRL:    ctrl    <= wdata[7:0];")  # only while unlocked
    plan = first_plan(regblock)
    directed = evaluator.evaluate(regblock.build, render(regblock, plan, "builtin", 0))
    assert directed.passed, directed.error
    assert hits(directed, ctrl_write) > 0
    # the same plan without the key (as a value or a rule's drive) never unlocks CTRL
    without = dataclasses.replace(
        plan,
        interesting={k: [v for v in vals if v != UNLOCK] for k, vals in plan.interesting.items()},
        rules=[r for r in plan.rules if UNLOCK not in dict(r.drives).values()],
    )
    blind = evaluator.evaluate(regblock.build, render(regblock, without, "builtin", 0))
    assert hits(blind, ctrl_write) == 0
    assert directed.score > blind.score


def test_a_state_guarded_rule_fires(designs, evaluator):
    """`S_MAG1: if (s_data != MAGIC_LO)`: drive 0xFE while state == S_MAG1, and S_TYPE is reached."""
    parser = designs["pkt_parser"]
    rules = BuiltinPolicy().facts(parser).rules
    assert Rule((("state", 1),), (("s_data", 0xFE),)) in [dataclasses.replace(r, line=0) for r in rules]
    assert any(r.guards == (("state", 5),) and r.drives == (("s_data", "crc_q"),) for r in rules)  # a mirror
    s_type = line_of(parser, "S_TYPE: begin")
    plan = first_plan(parser)
    guided = evaluator.evaluate(parser.build, render(parser, plan, "builtin", 0))
    unguided = evaluator.evaluate(parser.build, render(parser, dataclasses.replace(plan, rules=[]), "builtin", 0))
    assert guided.passed and unguided.passed
    assert hits(guided, s_type) > hits(unguided, s_type)
    assert guided.score > unguided.score


def test_refinement_from_the_uncovered_points_raises_coverage(designs, evaluator):
    """pkt_parser does not close at step 1; step 2 aims at its uncovered points (values and state-guarded
    rules they name) and gains coverage."""
    parser = designs["pkt_parser"]
    policy = BuiltinPolicy()
    result = run_loop(parser, policy, evaluator, iterations=2, seed=0)
    first, second = (s.observation.score for s in result.steps)
    assert first < 1.0 and second > first
    refined = result.steps[1]
    assert refined.proposal.info["refinement"] == 1 and refined.proposal.info["focus_values"]
    # a value the uncovered `S_LEN: if (s_data > MAX_LEN)` names is driven in that state only
    source = refined.testbench.source
    assert "({'state': 3}, {'s_data': 0x41})" in source and "({}, {'s_data': 0x41})" not in source
    # Not asserted any more: that the aimed step beats the same refinement without the aim. With the
    # plan's uniform phase and reset pulses (issue 15) the aim's gain on pkt_parser is within seed noise:
    # aimed minus unaimed at step 2 was -3.2, +1.2, -2.1, +1.7 points for seeds 0-3 (2026-11-29).


@pytest.mark.parametrize("name", ["pkt_parser", "mag_compare"])
def test_random_gets_exactly_the_builtin_stimulus_budget(designs, evaluator, name):
    """Same simulated cycles, corners, sequences, holds and resets included: measured, not stated."""
    design = designs[name]
    state = State(design)
    builtin = BuiltinPolicy().propose(state, seed=0)
    random = RandomPolicy().propose(state, seed=0)
    assert builtin.info["cycles"] == random.info["cycles"]
    assert "INTERESTING = {}" in random.testbench.source and "RULES = []" in random.testbench.source
    sim_ns = {}
    for policy, proposal in (("builtin", builtin), ("random", random)):
        obs = evaluator.evaluate(design.build, proposal.testbench)
        assert obs.passed, obs.error
        sim_ns[policy] = sum(t.sim_time_ns for t in obs.tests)
    # a clock of 10 ns stepped on falling edges (the first at 5 ns), or 10 ns time steps without a clock
    period_end = 5 if design.interface.clock else 0
    assert sim_ns["builtin"] == sim_ns["random"] == 10 * builtin.info["cycles"] - period_end


def test_builtin_beats_random_at_an_equal_budget_on_a_hard_design(designs, evaluator):
    parser = designs["pkt_parser"]  # hard_for_random: magic-value, sequence, error-branch
    assert parser.config.difficulty == "hard" and parser.config.split == "train"
    runs = {p.name: run_loop(parser, p, evaluator, iterations=2, seed=0) for p in (BuiltinPolicy(), RandomPolicy())}
    # the budget is the design's and the step's, not the state's: equal at every step, though the two
    # policies refine from different states (the built-in's focused step 2 is fitted to it)
    cycles = {name: [s.proposal.info["cycles"] for s in r.steps] for name, r in runs.items()}
    assert cycles["builtin"] == cycles["random"] and len(cycles["builtin"]) == 2
    sim_ns = {name: [sum(t.sim_time_ns for t in s.observation.tests) for s in r.steps] for name, r in runs.items()}
    assert sim_ns["builtin"] == sim_ns["random"]
    assert runs["builtin"].score > runs["random"].score + 0.1


def test_simulated_cycles_counts_every_phase(designs):
    design = designs["pkt_parser"]
    plan = first_plan(design)
    bare = dataclasses.replace(plan, phases=[])
    assert simulated_cycles(bare, design) == 3 + 1  # the first reset: held 3 cycles, then one more
    values = sum(len(v) for v in plan.interesting.values())
    with_sequence = dataclasses.replace(plan, phases=[("sequence", 4, None)])
    assert simulated_cycles(with_sequence, design) == 4 + 4 * values


def test_key_presses_reach_a_debounced_keypads_lockout(evaluator):
    """combo_lock's keypad takes a key only after 16 stable samples of exactly one key, with all keys
    released before: random values on the 11 key wires almost never form one. The press phase (from the
    first refinement on) holds one key past the debounce count, then releases it: wrong codes are
    entered, and three of them lock the keypad out. Same budget without it: no lockout."""
    design = load_design(DESIGNS / "combo_lock")
    policy = BuiltinPolicy()
    facts = policy.facts(design)
    assert first_plan(design).phases[-1][0] != "presses"  # the first attempt is unchanged
    plan = policy.plan(design, facts, seed=0, refine=2)
    kind, cycles, (presses, hold) = plan.phases[-1]
    assert kind == "presses" and presses == 32 and hold == 28 and cycles == 2 * presses * hold  # stable_cnt: 16
    budget = simulated_cycles(plan, design)
    bare = fit_budget(dataclasses.replace(plan, phases=plan.phases[:-1]), design, budget)
    assert simulated_cycles(bare, design) == budget
    lockout = line_of_file(design, "lock_fsm.v", "S_LOCKOUT: begin")
    hit = {}
    for label, p in (("presses", plan), ("bare", bare)):
        obs = evaluator.evaluate(design.build, render(design, p, "builtin", 2))
        assert obs.passed, f"{label}: {obs.error}"
        hit[label] = hits(obs, lockout, "lock_fsm.v")
    assert hit["presses"] > 0 and hit["bare"] == 0, hit
