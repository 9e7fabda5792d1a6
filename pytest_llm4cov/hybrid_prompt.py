"""State -> chat messages for the hybrid policy: the model writes scenarios, not a whole testbench.

Three messages: the system prompt (the scenario contract, the scaffold's helpers and an example
scenario generated for this design's own ports), the task (numbered RTL, spec, interface: the same
cuts as the whole-module prompt), and the feedback on the best state (coverage, which scenarios ran
or raised, the static repair's notes, uncovered points grouped by source line). System and task
depend only on the design, so the prefix is identical across steps and llama.cpp reuses its cache.
Shares ``PROMPT_VERSION`` with prompt.py: a change to either bumps it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pytest_llm4cov.design import Design
from pytest_llm4cov.functional import feedback_block
from pytest_llm4cov.interface import DesignInterface, Port
from pytest_llm4cov.observation import Outcome
from pytest_llm4cov.prompt import (
    STATE_SHARE,
    Message,
    Prompt,
    TokenCounter,
    _percent,
    _trim,
    _uncovered_text,
    estimate_tokens,
    group_uncovered,
    render_task,
    repair_notes_text,
    template,
)
from pytest_llm4cov.scenarios import SCENARIO_CYCLES, Scenario, pieces_of, scenario_results
from pytest_llm4cov.state import State

#: Failed scenarios shown with their code; more are listed by name only.
SHOWN_FAILURES = 2
#: (uncovered line groups, points per group), tried in order until the feedback fits: a small model
#: does better with the dozen most valuable lines than with every toggle bit.
HYBRID_DETAIL_LEVELS: tuple[tuple[int, int], ...] = ((12, 4), (6, 3), (3, 2))


def example_scenario(iface: DesignInterface) -> str:
    """A short scenario that is correct for ``iface``: real input names, widths respected."""
    data = [p for p in iface.data_inputs if p.direction == "input"]
    out = next((p for p in iface.outputs if p.direction == "output"), None)
    lines = ["async def scenario_example(tb, dut):"]  # stimulus only: the scaffold checks the outputs
    if not data:
        lines += ['    """Let the design run for a while after reset."""', "    await tb.step(20)"]
    else:
        first, rest = data[0], data[1:]
        lines.append(f'    """Step `{first.name}` through a few values{" while holding `" + rest[0].name + "`" if rest else ""}."""')
        if rest:
            lines.append(f'    tb.set("{rest[0].name}", {_some_value(rest[0])})')
        lines.append(f"    for value in ({', '.join(str(v) for v in _values(first))}):")
        lines.append(f'        tb.set("{first.name}", value)')
        lines.append("        await tb.step(2)")
    if out is not None:
        lines.append(f'    if tb.read("{out.name}") == 0:  # an int, or None while it is unknown')
        lines.append("        await tb.step(5)")
    return "\n".join(lines)


def _values(port: Port) -> list[int]:
    top = (1 << port.width) - 1
    return list(dict.fromkeys([0, 1, top]))


def _some_value(port: Port) -> int:
    return 1 if port.width == 1 else min(3, (1 << port.width) - 1)


#: A packed struct input lists at most this many fields in the interface.
SHOWN_FIELDS = 16


def _fields(port: Port) -> str:
    if not port.fields:
        return ""
    shown = [f"`{name}` [{hi}:{lo}]" if hi != lo else f"`{name}` [{hi}]" for name, hi, lo in port.fields[:SHOWN_FIELDS]]
    more = f", ... {len(port.fields) - SHOWN_FIELDS} more" if len(port.fields) > SHOWN_FIELDS else ""
    first = port.fields[0][0]
    return f"; a packed struct, set one field with `tb.set(\"{port.name}.{first}\", v)`: {', '.join(shown)}{more}"


def hybrid_interface(iface: DesignInterface) -> str:
    def ports(items: Sequence[Port]) -> str:
        return ", ".join(
            f"`{p.name}` ({p.width} bit{'s' if p.width != 1 else ''}{_fields(p) if p.direction == 'input' else ''})"
            for p in items
        ) or "none"

    handled = [x for x in (iface.clock, iface.reset.name if iface.reset else None) if x]
    lines = [f"- handled by the testbench: {', '.join(f'`{x}`' for x in handled)}" if handled else "- no clock, no reset"]
    lines.append(f"- inputs you drive with `tb.set`: {ports([p for p in iface.data_inputs if p.direction == 'input'])}")
    lines.append(f"- outputs: {ports([p for p in iface.outputs if p.direction == 'output'])}")
    if iface.parameters:
        lines.append("- parameters and localparams, defined as Python constants of the same name: "
                     + ", ".join(f"`{p.name}` = {p.value}" for p in iface.parameters))
    lines.append("- internal signals: read them with `tb.read(\"name\")` using the names in the RTL")
    return "\n".join(lines)


def render_hybrid_system(design: Design) -> str:
    clocked = design.interface.clock is not None
    unit = "one clock cycle; inputs change just after the falling edge" if clocked else "10 ns; the design has no clock"
    from pytest_llm4cov.policy.builtin import scenario_cycles  # here: the policy package imports this module

    return template("hybrid_system").substitute(
        example=example_scenario(design.interface), step_unit=unit,
        cycles=f"{scenario_cycles(design, SCENARIO_CYCLES):,}",
    )


def _scenarios_text(kept: Sequence[Scenario], results: Mapping[str, str]) -> str:
    ran = [p for p in kept if p.runs and results.get(p.name) == "ok"]
    failed = [p for p in kept if p.runs and p.name in results and results[p.name] != "ok"]
    parts = []
    if ran:
        parts.append(
            "Scenarios already in the testbench (they ran; do not repeat them):\n"
            + "\n".join(f"- `{p.name}`" + (f": {p.doc}" if p.doc else "") for p in ran)
        )
    for p in failed[:SHOWN_FAILURES]:
        parts.append(
            f"Scenario `{p.name}` raised {_trim(results[p.name], 400)}; it was dropped. Its code:\n"
            f"```python\n{p.source.rstrip()}\n```"
        )
    if len(failed) > SHOWN_FAILURES:
        parts.append("Also dropped after raising: " + ", ".join(f"`{p.name}`" for p in failed[SHOWN_FAILURES:]))
    return "\n\n".join(parts) + "\n" if parts else ""


def render_hybrid_feedback(
    state: State, kept: Sequence[Scenario], results: Mapping[str, str], level: tuple[int, int]
) -> tuple[str, list[str]]:
    obs = state.observation
    assert obs is not None
    design = state.design
    max_groups, per_group = level
    metrics = ", ".join(f"{m} {s.covered}/{s.total}" for m, s in obs.metrics.items()) or "no points"
    if obs.outcome is Outcome.PASSED:
        headline = f"The testbench reached {_percent(obs.score or 0.0)} coverage (target {_percent(design.target)}): {metrics}."
    else:
        headline = (
            f"The testbench ended with {obs.outcome.value}: {_trim(obs.error, 600) or 'no details'}. "
            f"It reached {_percent(obs.score or 0.0)} coverage."
        )
    notes = repair_notes_text(obs)
    scenarios = _scenarios_text(kept, results)
    if notes:
        scenarios = f"{scenarios}\n{notes}\n" if scenarios else f"{notes}\n"
    listed, cut = _uncovered_text(group_uncovered(obs, design), max_groups, per_group)
    listed += feedback_block(obs.functional)
    inputs = ", ".join(f'"{p.name}"' for p in design.interface.data_inputs if p.direction == "input") or "none"
    text = template("hybrid_feedback").substitute(
        headline=headline, scenarios=f"{scenarios}\n" if scenarios else "", uncovered=listed, inputs=inputs
    )
    return text, [cut] if cut else []


def render_hybrid_prompt(
    state: State,
    kept: Sequence[Scenario],
    results: Mapping[str, str],
    *,
    budget_tokens: int = 6_000,
    count_tokens: TokenCounter | None = None,
) -> Prompt:
    """System, task and feedback for ``state`` (which must have an observation) within the budget."""
    count = count_tokens or estimate_tokens
    design = state.design
    system = render_hybrid_system(design)
    task_limit = max(0, int(budget_tokens * (1 - STATE_SHARE)) - count(system))
    task, cuts = render_task(design, task_limit, count, "hybrid_task", hybrid_interface(design.interface))
    messages: list[Message] = [{"role": "system", "content": system}, {"role": "user", "content": task}]
    room = budget_tokens - count(system) - count(task)
    feedback, fb_cuts = "", []
    for level in HYBRID_DETAIL_LEVELS:
        feedback, fb_cuts = render_hybrid_feedback(state, kept, results, level)
        if count(feedback) <= room:
            break
    messages.append({"role": "user", "content": feedback})
    used = count(system) + count(task) + count(feedback)
    return Prompt(tuple(messages), used, budget_tokens, tuple(cuts + fb_cuts))


def render_state_prompt(state: State, *, budget_tokens: int = 6_000, count_tokens: TokenCounter | None = None) -> Prompt:
    """The hybrid prompt for a state (testbench and observation): the scenarios its testbench carries and
    how each ran are read from the state itself, so the policy and the trainer render the same text."""
    assert state.testbench is not None and state.observation is not None
    previous = pieces_of(state.testbench.source)
    results = scenario_results(state.observation.notes)
    return render_hybrid_prompt(state, previous, results, budget_tokens=budget_tokens, count_tokens=count_tokens)
