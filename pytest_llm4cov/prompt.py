"""State -> chat messages: LLM4Cov's fixed four-message memoryless window, within a token budget.

The window is: the system prompt (output contract and a small correct cocotb 2 example generated for
this design), the task (RTL with line numbers, spec, interface, instructions), the best testbench so far
as the assistant turn (absent at s_0), and the feedback on it as the user turn, routed by outcome.
System and task depend only on the design, and are trimmed against a fixed share of the budget, so the
prompt prefix stays identical across the steps of one design and llama.cpp reuses its KV cache.

Prose lives in ``prompts/*.md`` (string.Template, ``$name``); changing any of it, or the example, bumps
``PROMPT_VERSION``, which every proposal records, since training data depends on the exact text.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

from pytest_llm4cov.coverage import CoveragePoint
from pytest_llm4cov.design import Design
from pytest_llm4cov.example import example_testbench, hold_cycles
from pytest_llm4cov.functional import feedback_block, without_coverage_section
from pytest_llm4cov.interface import DesignInterface, Port
from pytest_llm4cov.observation import Observation, Outcome
from pytest_llm4cov.path_conditions import conditions_at
from pytest_llm4cov.policy.rtl_facts import mine_facts
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import module_name_for

#: 10: an unpacked-array port reads `x` (2 x 34 bits), its elements and their width, not `x` (68 bits) (wm4
#: drove Ibex's imd_val_q_i[2] with 68-bit values; no prompt of a design without one changes); 9: the
#: whole-module example's inputs change at rates each draws from RATES every PHASE cycles (some still,
#: some toggling: a chip select held while its clock runs) instead of all at once; 8: the example pauses four
#: times for HOLD cycles, the longest timer the RTL has (a watchdog window, an idle timeout), with the inputs
#: as they are; 7: the whole-module example (example.py) lists the
#: values the RTL compares each input with in VALUES and draws them half of the time, and drives unpacked
#: array inputs with lists; 6: the example as in 4 again (5's extra bit-select line made no model write a bit
#: select, and sent the shipped stage-0 adapter on combo_lock into repeating `await tb.step(20000)` to the
#: token limit); 5: the example sets a bit select or a struct field; 4: tb.set("x[hi:lo]", v), struct fields,
#: "reached when" conditions; 3: tb.reset(fill="keep")
PROMPT_VERSION = "llm4cov-prompt/10"

#: A chat message as every backend takes it: {"role": "system"|"user"|"assistant", "content": str}.
Message = dict[str, str]
TokenCounter = Callable[[str], int]

#: Share of the budget kept free of system + task for the testbench and the feedback.
STATE_SHARE = 0.35
#: The least spec worth keeping, in tokens; below that it is dropped with a note.
MIN_SPEC_TOKENS = 120
#: Feedback detail levels, tried in order until the prompt fits: (log lines, uncovered groups, points per group).
DETAIL_LEVELS: tuple[tuple[int, int, int], ...] = ((60, 40, 8), (30, 20, 6), (12, 10, 4), (0, 5, 3), (0, 2, 2))
MAX_LOG_LINE_CHARS = 240
MAX_ERROR_CHARS = 2000


def estimate_tokens(text: str) -> int:
    """A conservative token estimate (~3 characters per token for code) when no tokenizer is at hand."""
    return (len(text) + 2) // 3


@cache
def template(name: str) -> Template:
    return Template(resources.files("pytest_llm4cov").joinpath(f"prompts/{name}.md").read_text())


@dataclass(frozen=True)
class Prompt:
    """The rendered window plus what it cost and what had to be cut to fit."""

    messages: tuple[Message, ...]
    tokens: int
    budget: int
    cuts: tuple[str, ...] = ()
    version: str = PROMPT_VERSION

    def as_list(self) -> list[Message]:
        return [dict(m) for m in self.messages]


# -- the design's part: system and task ------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def interface_summary(iface: DesignInterface) -> str:
    def size(p: Port) -> str:
        """An unpacked array as its elements: the width a testbench drives each of them with."""
        if p.elements > 1:
            return f"{p.elements} x {_plural(p.width // p.elements, 'bit')}"
        return _plural(p.width, "bit")

    def ports(items: Sequence[Port]) -> str:
        if not items:
            return "none"
        return ", ".join(f"`{p.name}` ({size(p)}{', signed' if p.signed else ''})" for p in items)

    lines = []
    if iface.clock:
        lines.append(f"- clock: `{iface.clock}`: start it with `Clock`, 10 ns period")
    else:
        lines.append("- clock: none (combinational: drive inputs, `await Timer(1, unit=\"ns\")`, read outputs)")
    if iface.reset:
        r = iface.reset
        level = "low" if r.active_low else "high"
        lines.append(f"- reset: `{r.name}`, active {level} (hold it at {r.asserted} to reset, then {1 - r.asserted})")
    else:
        lines.append("- reset: none")
    lines.append(f"- inputs: {ports([p for p in iface.data_inputs if p.direction == 'input'])}")
    inouts = [p for p in iface.ports if p.direction == "inout"]
    if inouts:
        lines.append(f"- inouts: {ports(inouts)}")
    lines.append(f"- outputs: {ports([p for p in iface.outputs if p.direction == 'output'])}")
    params = [p for p in iface.parameters if not p.local]
    if params:
        lines.append("- parameters: " + ", ".join(f"`{p.name}` = {p.value}" for p in params))
    return "\n".join(lines)


def _numbered(name: str, text: str, keep: int | None = None) -> str:
    lines = text.splitlines()
    width = len(str(len(lines)))
    shown = lines if keep is None else lines[:keep]
    body = "\n".join(f"{i:>{width}}| {ln}" for i, ln in enumerate(shown, 1))
    if keep is not None and keep < len(lines):
        body += f"\n[... lines {keep + 1}-{len(lines)} of {name} omitted to fit the context ...]"
    lang = "systemverilog" if name.endswith(".sv") else "verilog"
    return f"## {name}\n\n```{lang}\n{body}\n```"


def _percent(x: float) -> str:
    return f"{x * 100:.1f}%".replace(".0%", "%")


def prompt_example(design: Design) -> str:
    """The example testbench the whole-module system prompt shows for ``design`` (``example.py``)."""
    facts = mine_facts(design.interface, design.rtl_text)
    return example_testbench(design.interface, facts.order, hold=hold_cycles(facts.timeouts))


def render_system(design: Design) -> str:
    example = prompt_example(design)
    return template("system").substitute(example=example.rstrip("\n"))


def render_task(
    design: Design, limit: int, count: TokenCounter, template_name: str = "task", interface: str | None = None
) -> tuple[str, list[str]]:
    """The task message (template ``template_name``) within ``limit`` tokens: the spec is cut first, then the
    RTL's longest files."""
    files = design.rtl_text
    keep: dict[str, int | None] = dict.fromkeys(files)
    spec = design.spec_text.strip()

    def render(spec_text: str) -> str:
        rtl = "\n\n".join(_numbered(name, text, keep[name]) for name, text in files.items())
        return template(template_name).substitute(
            top=design.top,
            module=module_name_for(design.top),
            rtl=rtl,
            spec=spec_text,
            interface=interface if interface is not None else interface_summary(design.interface),
            target=_percent(design.target),
        )

    spec_text = spec or "No spec: infer the intended behaviour from the RTL."
    cuts: list[str] = []
    text = render(spec_text)
    if count(text) <= limit:
        return text, cuts
    if spec:
        room = limit - count(render(""))
        kept = _head_within(spec, room - 40, count) if room >= MIN_SPEC_TOKENS else ""
        if kept:
            omitted = len(spec) - len(kept)
            note = f"[... spec trimmed: {omitted:,} of {len(spec):,} characters omitted to fit the context ...]"
            spec_text = f"{kept}\n\n{note}"
            cuts = [f"spec: {omitted:,} of {len(spec):,} characters"]
            text = render(spec_text)
        if not kept or count(text) > limit:
            spec_text = f"[spec omitted to fit the context: {len(spec):,} characters]"
            cuts = [f"spec: all {len(spec):,} characters"]
            text = render(spec_text)
    # Then trim the longest RTL file's tail, repeatedly, keeping at least the head of every file.
    total_lines = {name: len(t.splitlines()) for name, t in files.items()}
    for _ in range(64):
        over = count(text) - limit
        if over <= 0:
            break
        name = max(files, key=lambda n: keep[n] if keep[n] is not None else total_lines[n])
        current = keep[name] if keep[name] is not None else total_lines[name]
        if current <= 10:
            break
        per_line = max(1.0, count(files[name]) / max(1, total_lines[name]))
        keep[name] = max(10, current - max(5, int(over / per_line * 1.1) + 1))
        text = render(spec_text)
    for name, kept_lines in keep.items():
        if kept_lines is not None and kept_lines < total_lines[name]:
            cuts.append(f"RTL {name}: lines {kept_lines + 1}-{total_lines[name]}")
    return text, cuts


def _head_within(text: str, tokens: int, count: TokenCounter) -> str:
    """The longest prefix of ``text`` (cut at a line end where possible) within ``tokens``."""
    if tokens <= 0:
        return ""
    total = count(text)
    if total <= tokens:
        return text
    chars = int(len(text) * tokens / total)
    for _ in range(8):
        head = text[:chars]
        if count(head) <= tokens:
            break
        chars = int(chars * 0.9)
    head = text[:chars]
    cut = head.rfind("\n")
    return head[:cut] if cut > len(head) // 2 else head


# -- the state's part: the testbench and the feedback --------------------------------------------


def _relpath(path: str, design: Design) -> str:
    try:
        rel = os.path.relpath(path, design.folder)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


@dataclass(frozen=True)
class UncoveredGroup:
    file: str
    line: int
    source: str
    points: tuple[CoveragePoint, ...]
    value: float  # the score this line's points would add if all were covered
    #: The enclosing if/case conditions that lead to the line (``path_conditions``), for line, branch and
    #: expression points; toggles have none.
    conditions: tuple[str, ...] = ()


def group_uncovered(obs: Observation, design: Design) -> list[UncoveredGroup]:
    """Uncovered points grouped by source line, the most valuable first.

    A point is worth 1 / (metrics present x points of its metric): exactly what covering it adds to the
    score (the mean over metrics of covered/total), so rare metrics' points rank high.
    """
    rep = obs.coverage
    if rep is None:
        return []
    totals = {m: s.total for m, s in obs.metrics.items()}
    n_metrics = max(1, len(totals))
    by_line: dict[tuple[str, int], list[CoveragePoint]] = {}
    for p in obs.uncovered():
        by_line.setdefault((p.file, p.line), []).append(p)
    groups = []
    texts = design.rtl_text
    skip = frozenset([design.interface.reset.name] if design.interface.reset else [])
    for (file, line), points in by_line.items():
        value = sum(1.0 / (n_metrics * max(1, totals.get(p.metric, 1))) for p in points)
        src = rep.source_line(points[0])
        rel = _relpath(file, design)
        control = any(p.metric in ("line", "branch", "expr") for p in points) and rel in texts
        conditions = tuple(conditions_at(texts[rel], line, skip)) if control else ()
        groups.append(UncoveredGroup(rel, line, src, tuple(points), value, conditions))
    groups.sort(key=lambda g: (-g.value, g.file, g.line))
    return groups


def _describe_group(g: UncoveredGroup, per_group: int) -> str:
    by_metric: dict[str, list[str]] = {}
    for p in g.points:
        what = p.comment or p.metric
        if p.metric in ("line", "branch") and p.span and p.span[1] > p.span[0]:
            what += f" (block lines {p.span[0]}-{p.span[1]})"
        by_metric.setdefault(p.metric, []).append(what)
    parts = []
    shown = 0
    for metric, items in by_metric.items():
        room = max(0, per_group - shown)
        listed = items[:room]
        shown += len(listed)
        more = f", ... {len(items) - len(listed)} more" if len(items) > len(listed) else ""
        parts.append(f"{metric}: " + ", ".join(listed) + more if listed else f"{metric}: {len(items)} points")
    source = f" `{g.source}`" if g.source else ""
    under = f" -- reached when: {', '.join(f'`{c}`' for c in g.conditions)}" if g.conditions else ""
    return f"- {g.file}:{g.line}{source} -- " + "; ".join(parts) + under


def _uncovered_text(groups: Sequence[UncoveredGroup], limit: int, per_group: int) -> tuple[str, str | None]:
    shown = list(groups[:limit])
    lines = [_describe_group(g, per_group) for g in shown]
    cut = None
    if len(groups) > len(shown):
        rest = groups[len(shown):]
        points = sum(len(g.points) for g in rest)
        lines.append(f"- ... {len(rest)} more uncovered lines ({_plural(points, 'point')}) not shown")
        cut = f"uncovered: {len(rest)} of {len(groups)} lines"
    return "\n".join(lines) if lines else "- (none listed)", cut


def _log_text(log: str, max_lines: int) -> tuple[str, str | None]:
    cap = MAX_LOG_LINE_CHARS
    lines = [ln if len(ln) <= cap else ln[: cap - 5] + " [...]" for ln in log.splitlines()]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines or max_lines <= 0:
        return "", (f"log: all {len(lines)} lines" if lines else None)
    shown = lines[-max_lines:]
    head = f"Simulator log (last {len(shown)} of {len(lines)} lines):" if len(shown) < len(lines) else "Simulator log:"
    cut = f"log: {len(lines) - len(shown)} of {len(lines)} lines" if len(shown) < len(lines) else None
    return f"{head}\n```\n" + "\n".join(shown) + "\n```", cut


_HEADLINES = {
    Outcome.BUILD_FAILED: "the RTL did not build, so nothing ran (no testbench can fix this).",
    Outcome.TESTBENCH_ERROR: "it could not be used as a cocotb test module.",
    Outcome.TIMED_OUT: "the simulation did not finish within the time limit (bound every loop and wait).",
    Outcome.CRASHED: "the simulator crashed while running it.",
}


def _trim(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 20] + " [...trimmed]"


#: Notes the static repair put into an observation (``repair.Repair.notes``), shown to the model.
REPAIR_NOTE_PREFIXES = ("repaired: ", "problem: ")
MAX_REPAIR_NOTES = 8


def repair_notes_text(obs: Observation) -> str:
    """The static repair's notes on the testbench above, as a paragraph for the feedback ('' if none)."""
    notes = [n for n in obs.notes if n.startswith(REPAIR_NOTE_PREFIXES)][:MAX_REPAIR_NOTES]
    if not notes:
        return ""
    return "Before the run, static repair of the testbench:\n" + "\n".join(f"- {_trim(n, 300)}" for n in notes)


def render_feedback(state: State, level: tuple[int, int, int]) -> tuple[str, list[str]]:
    """The user turn for a state that has an observation, at one detail level (repair notes first)."""
    text, cuts = _render_feedback(state, level)
    notes = repair_notes_text(state.observation) if state.observation is not None else ""
    return (f"{notes}\n\n{text}" if notes else text), cuts


def _render_feedback(state: State, level: tuple[int, int, int]) -> tuple[str, list[str]]:
    obs = state.observation
    assert obs is not None
    design = state.design
    log_lines, max_groups, per_group = level
    cuts: list[str] = []
    if obs.outcome is Outcome.PASSED:
        if not obs.coverage_available:
            return template("feedback_unmeasured").substitute(), cuts
        metrics = ", ".join(f"{m} {s.covered}/{s.total}" for m, s in obs.metrics.items()) or "no points"
        listed, cut = _uncovered_text(group_uncovered(obs, design), max_groups, per_group)
        listed += feedback_block(obs.functional)
        if cut:
            cuts.append(cut)
        text = template("feedback_coverage").substitute(
            score=_percent(obs.score or 0.0), target=_percent(design.target), metrics=metrics, uncovered=listed
        )
        return text, cuts
    if obs.outcome is Outcome.TESTS_FAILED:
        failed = obs.failures()
        headline = f"{len(failed)} of {_plural(len(obs.tests), 'test')} failed."
    else:
        headline = _HEADLINES.get(obs.outcome, f"it ended with {obs.outcome.value}.")
    details = []
    if obs.error:
        details.append("Error:\n" + _trim(obs.error, MAX_ERROR_CHARS))
    for t in obs.failures()[:5]:
        details.append(f"Test `{t.name}` failed: {_trim(t.message, 600) or '(no message)'}")
    if obs.has_coverage:
        details.append(f"It still reached {_percent(obs.score or 0.0)} coverage before failing.")
    log, cut = _log_text(obs.log_tail, log_lines)
    if log:
        details.append(log)
    if cut:
        cuts.append(cut)
    text = template("feedback_failure").substitute(headline=headline, details="\n\n".join(details) or "(no details)")
    return text, cuts


def assistant_turn(source: str) -> str:
    """A testbench as the model should have written it: the contract's one fenced block."""
    return f"```python\n{source.rstrip()}\n```"


def render_prompt(state: State, *, budget_tokens: int = 12_000, count_tokens: TokenCounter | None = None) -> Prompt:
    """The four-message window for ``state`` within ``budget_tokens`` of message content.

    Cuts, least useful first: the spec, then the RTL's tails (both against a fixed share of the budget, so
    the prefix does not change between steps); then the log, the uncovered list and, last, the testbench.
    Each cut says so in the text and is listed in ``Prompt.cuts``.
    """
    count = count_tokens or estimate_tokens
    design = state.design
    system = render_system(design)
    sys_tokens = count(system)
    task_limit = max(0, int(budget_tokens * (1 - STATE_SHARE)) - sys_tokens)
    task, cuts = render_task(design, task_limit, count)
    messages: list[Message] = [{"role": "system", "content": system}, {"role": "user", "content": task}]
    used = sys_tokens + count(task)
    if state.testbench is None or state.observation is None:
        return Prompt(tuple(messages), used, budget_tokens, tuple(cuts))
    room = budget_tokens - used
    source = without_coverage_section(state.testbench.source)
    feedback, fb_cuts = "", []
    for level in DETAIL_LEVELS:
        feedback, fb_cuts = render_feedback(state, level)
        if count(assistant_turn(source)) + count(feedback) <= room:
            break
    tb_tokens = room - count(feedback)
    if count(assistant_turn(source)) > tb_tokens:
        kept = _head_within(source, max(0, tb_tokens - 30), count)
        fb_cuts.append(f"testbench: {len(source) - len(kept):,} of {len(source):,} characters")
        source = kept + "\n# [... the rest of this testbench was omitted to fit the context ...]"
    assistant = assistant_turn(source)
    messages.append({"role": "assistant", "content": assistant})
    messages.append({"role": "user", "content": feedback})
    used += count(assistant) + count(feedback)
    return Prompt(tuple(messages), used, budget_tokens, tuple(cuts + fb_cuts))
