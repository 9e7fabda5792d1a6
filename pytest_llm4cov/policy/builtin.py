"""The embedded default policy: a model-free, coverage-directed testbench generator.

From the interface and the RTL it writes a readable cocotb testbench (clock, reset with the detected
polarity, corner values, biased random stimulus, holds for timeouts). From the observation it aims at
holes: the uncovered source lines and Verilator's expression points name the constants and internal
states that matter, which become more interesting values, guarded drive rules and longer runs.
Port groups that match a standard interface (AXI-Stream, APB, SPI: ``vip.py``) are driven by verification
IP (cocotbext-axi, cocotbext-apb, the template's SPI master) with the mined values as its data and
addresses, not wire by wire.
``RandomPolicy`` renders the same template with every directed feature off: the baseline it must beat.
"""

from __future__ import annotations

import pprint
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any, ClassVar

from pytest_llm4cov.design import Design
from pytest_llm4cov.policy.base import Policy, Proposal, register
from pytest_llm4cov.functional import missed_values
from pytest_llm4cov.policy.arcs import Arcs, fsm_arcs
from pytest_llm4cov.policy.coverpoints import INPUT_PREFIX, arc_points, cover_points, cross_points
from pytest_llm4cov.policy.invariants import Invariants, infer_invariants
from pytest_llm4cov.policy.rtl_facts import _CASE_ITEM, RtlFacts, Rule, mine_facts, rules_from_expressions
from pytest_llm4cov.policy.vip import VipGroup, driven_inputs, match_groups, mined_values, with_settings
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench, module_name_for

MAX_VALUES_PER_INPUT = 48
MAX_RULES = 64
MAX_FROZEN = 6  # 1-bit inputs held fixed in turn during refinement
#: The run's time limit the plan is sized for: the plugin's default --llm4cov-timeout, seconds.
TIME_LIMIT_S = 120.0
#: Testbench-driven cycles per second (a new value on every input each cycle), measured on the 2-core
#: development machine under load: 20,000 cycles of the random baseline in about 2.5 s.
DRIVEN_CYCLES_PER_S = 8_000
#: The share of the time limit a plan may fill, leaving room for a slower machine and a larger design.
TIME_SHARE = 0.4
#: Reset pulses per plan (first attempt; refinements more) and the random cycles after each at least.
PULSES = 4
MIN_SETTLE = 16
#: Key presses per refinement level (at most MAX_PRESSES): a multi-bit input set to one value, then zero,
#: each held past the smallest counter the RTL has (a debouncer's), as keys and buttons are pressed.
PRESSES = 16
MAX_PRESSES = 48


#: Cycles per second while a testbench waits in one timer (``tb.step(n)``, n > 64), measured on the
#: same machine: 2,000,000 cycles of a hold in about 6 s.
WAIT_CYCLES_PER_S = 300_000


def scenario_cycles(design: Design, floor: int) -> int:
    """How long one model-written scenario may run: past the longest counter the RTL has (compared
    thresholds, registers that step by one), at least ``floor``, at most what a testbench of the
    most scenarios it carries can wait out within the run's time limit."""
    from pytest_llm4cov.scenarios import MAX_KEPT

    facts = mine_facts(design.interface, design.rtl_text)
    longest = max([*facts.timeouts, *facts.counters.values()], default=0)
    ceiling = int(TIME_LIMIT_S * TIME_SHARE * WAIT_CYCLES_PER_S / MAX_KEPT)
    return max(floor, min(ceiling, int(longest * 1.2) + 64))


def cycle_limit(time_limit_s: float = TIME_LIMIT_S) -> int:
    """The most stimulus cycles one testbench may state: long counters are waited out up to what
    fits in the run's time limit (also at the random baseline's speed, which runs the same budget)."""
    return int(time_limit_s * TIME_SHARE * DRIVEN_CYCLES_PER_S)


@lru_cache(maxsize=1)
def template() -> str:
    return resources.files("pytest_llm4cov.policy").joinpath("templates/stimulus_tb.py").read_text()


@dataclass
class Plan:
    """Everything that varies between generated testbenches; rendered into the template's tables."""

    seed: int
    interesting: dict[str, list[int]] = field(default_factory=dict)
    mirrors: dict[str, list[str]] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    run_lengths: list[int] = field(default_factory=lambda: [1])
    phases: list[tuple[str, int, Any]] = field(default_factory=list)
    #: Port groups driven by verification IP; their inputs get no per-wire stimulus.
    vip: list[VipGroup] = field(default_factory=list)


def wire_inputs(design: Design, plan: Plan) -> list:
    """The data inputs the per-wire stimulus drives: all but those the plan's VIP groups own."""
    owned = driven_inputs(plan.vip)
    return [p for p in design.interface.data_inputs if p.name not in owned]


def corner_values(width: int) -> list[int]:
    """The values the template's ``TB.corners`` drives on an input of ``width`` bits (the same list)."""
    top = (1 << width) - 1
    values = [0, top, 1, 1 << (width - 1), top & 0x5555555555555555, top & 0xAAAAAAAAAAAAAAAA]
    values += [1 << b for b in range(width)] + [top ^ (1 << b) for b in range(width)]
    return list(dict.fromkeys(values))


def simulated_cycles(plan: Plan, design: Design) -> int:
    """Every cycle the rendered testbench steps through, its first reset, corners and sequences included.

    This is the stimulus budget: the random baseline gets exactly the built-in policy's, so a comparison
    of the two measures what the stimulus is, not how much of it there is.
    """
    widths = [p.width for p in wire_inputs(design, plan)]
    has_reset = design.interface.reset is not None

    def reset(cycles: int) -> int:  # TB.reset: the reset held for `cycles`, then one settling step
        return (cycles if has_reset else 0) + 1

    total = reset(3)
    for kind, cycles, arg in plan.phases:
        if kind == "corners":
            total += sum(len(corner_values(w)) for w in widths)
        elif kind == "sequence":
            total += cycles * sum(len(v) for v in plan.interesting.values())
        elif kind == "reset":
            total += reset(cycles)
        elif kind == "pulses":  # TB.pulse_phase: each pulse a 2-cycle reset, then `after` random cycles
            pulses, after = arg
            total += pulses * (reset(2) + after)
        else:  # uniform, random, freeze, slow, hold
            total += cycles
    return total


def fit_budget(plan: Plan, design: Design, budget: int) -> Plan:
    """``plan`` simulating exactly ``budget`` cycles: its last random phase lengthened, or its random
    phases (then uniform, slow, freeze) shortened from the end; as near as its other phases allow."""
    phases = list(plan.phases)
    excess = simulated_cycles(plan, design) - budget
    adjustable = [
        i for kind in ("random", "uniform", "slow", "freeze") for i in reversed(range(len(phases))) if phases[i][0] == kind
    ]
    if excess < 0 and adjustable:
        kind, cycles, arg = phases[adjustable[0]]
        phases[adjustable[0]] = (kind, cycles - excess, arg)
    for i in adjustable:
        if excess <= 0:
            break
        kind, cycles, arg = phases[i]
        cut = min(cycles, excess)
        phases[i] = (kind, cycles - cut, arg)
        excess -= cut
    return replace(plan, phases=phases)


def _literal(value: Any) -> str:
    return pprint.pformat(value, width=100, compact=True, sort_dicts=False)


def _value(v: int | str) -> str:
    return hex(v) if isinstance(v, int) else repr(v)


def render(design: Design, plan: Plan, policy: str, step: int) -> Testbench:
    iface = design.interface
    reset = iface.reset
    inputs = {p.name: p.width for p in wire_inputs(design, plan)}
    hexed = {k: [int(v) for v in vals] for k, vals in plan.interesting.items()}
    interesting = "{" + ", ".join(
        f"{k!r}: [" + ", ".join(hex(v) for v in vals) + "]" for k, vals in hexed.items()
    ) + "}"
    rules = "[" + ",\n    ".join(
        f"({dict(r.guards)!r}, {{" + ", ".join(f"{n!r}: {_value(v)}" for n, v in r.drives) + "})" for r in plan.rules
    ) + "]"
    if plan.rules:
        rules = "[\n    " + rules[1:-1] + ",\n]"
    fills = {
        "TOP": design.top,
        "POLICY": policy,
        "STEP": str(step),
        "SEED": str(plan.seed),
        "CLOCK": repr(iface.clock),
        "RESET": repr(reset.name if reset else None),
        "RESET_ACTIVE": str(reset.asserted if reset else 1),
        "INPUTS": _literal(inputs),
        "OUTPUTS": _literal([p.name for p in iface.outputs]),
        "FIELDS": _literal({f"{p.name}.{name}": (hi, lo) for p in iface.inputs for name, hi, lo in p.fields}),
        "INTERESTING": interesting,
        "MIRRORS": _literal(plan.mirrors),
        "RULES": rules,
        "RUN_LENGTHS": _literal(plan.run_lengths),
        "PLAN": "[\n    " + ",\n    ".join(repr(p) for p in plan.phases) + ",\n]" if plan.phases else "[]",
        **_checks(design),
        "COVER": _literal(cover_points(design, {**plan.interesting, **mined_values(plan.vip)}, design_invariants(design))),
        "ARCS": _literal(arc_points(design_arcs(design))),
        "CROSSES": _literal(cross_points(design)),
        **_vip_code(design, plan.vip),
    }
    text = template()
    for key, value in fills.items():
        text = text.replace("{{" + key + "}}", value)
    return Testbench(text, module_name_for(design.top))


def _vip_code(design: Design, groups: list[VipGroup]) -> dict[str, str]:
    """The imports, drivers and start of the verification IP, only in testbenches that use it, and the
    inputs it drives with their widths (VIP_INPUTS: a hybrid scenario, which runs without the VIP, drives
    them with ``tb.set``)."""
    if not groups:
        return {"VIP_IMPORTS": "", "VIP_TABLE": "", "VIP_SECTION": "", "VIP_START": "", "VIP_INPUTS": "{}"}
    widths = {p.name: p.width for p in design.interface.ports}
    driven = {name: widths[name] for name in sorted(driven_inputs(groups))}
    rows = []
    for g in groups:
        settings = ", ".join(f"{k!r}: {_setting(k, v)}" for k, v in g.settings.items())
        rows.append(f"    ({g.kind!r}, {g.prefix!r}, {{{settings}}}),")
    table = _VIP_COMMENT + "VIP = [\n" + "\n".join(rows) + "\n]\n"
    kinds = {g.kind for g in groups}
    imports = ""
    if "apb" in kinds:
        imports += "from cocotbext.apb import Apb3Bus, ApbMaster\n"
    if kinds & {"axis_source", "axis_sink"}:
        imports += "from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource\n"
    section = resources.files("pytest_llm4cov.policy").joinpath("templates/vip.py").read_text()
    return {"VIP_IMPORTS": imports, "VIP_TABLE": table, "VIP_SECTION": section, "VIP_START": "    start_vip(tb)\n",
            "VIP_INPUTS": _literal(driven)}


def _setting(key: str, value: Any) -> str:
    """A VIP setting as Python source: a port name, frame lengths, or values in hex."""
    if isinstance(value, str):
        return repr(value)
    return "[" + ", ".join(str(v) if key == "lengths" else hex(v) for v in value) + "]"


_VIP_COMMENT = """\
# Port groups that match a standard interface, driven by verification IP instead of per-wire values:
# (kind, name prefix, settings). axis_source: frames into the design (cocotbext-axi's AxiStreamSource);
# axis_sink: frames out of it, with back-pressure (AxiStreamSink); apb: register writes and reads
# (cocotbext-apb's ApbMaster); spi: SPI transfers into the design (spi_transfers below, mode 0 and 3).
# Their inputs are not in INPUTS. `vip = false` in llm4cov.toml turns this off.
"""


def _checks(design: Design) -> dict[str, str]:
    """RESET_VALUES and LEGAL, the checks inferred from the RTL (see invariants.py)."""
    inv = design_invariants(design)
    return {
        "RESET_VALUES": "{" + ", ".join(f"{k!r}: {hex(v)}" for k, v in inv.reset_values.items()) + "}",
        "LEGAL": "{" + ", ".join(f"{k!r}: [{', '.join(hex(v) for v in vs)}]" for k, vs in inv.legal.items()) + "}",
    }


_INVARIANTS: dict[str, Invariants] = {}


def design_invariants(design: Design) -> Invariants:
    key = design.build.rtl_digest() + design.top
    if key not in _INVARIANTS:
        _INVARIANTS[key] = infer_invariants(design.interface, {s: _read(s) for s in design.interface.sources})
    return _INVARIANTS[key]


_ARCS: dict[str, Arcs] = {}


def design_arcs(design: Design) -> Arcs:
    key = design.build.rtl_digest() + design.top
    if key not in _ARCS:
        texts = {s: _read(s) for s in design.interface.sources}
        _ARCS[key] = fsm_arcs(design.interface, texts, design_invariants(design))
    return _ARCS[key]


def press_hold(facts: RtlFacts) -> int:
    """Cycles a key press (and its release) lasts: past the smallest counter of at least 4 the RTL has
    (a debounce count), with room for input synchronisers; MIN_SETTLE without one, at most 1,100."""
    counts = [c for c in [*facts.counters.values(), *facts.timeouts] if c >= 4]
    return max(MIN_SETTLE, min(1100, int(min(counts, default=0) * 1.25) + 8))


def base_cycles(design: Design) -> int:
    """Random cycles for a first attempt, scaled to the design's size and input width."""
    lines = sum(t.count("\n") for t in design.rtl_text.values())
    bits = sum(p.width for p in design.interface.data_inputs)
    return max(400, min(4000, 300 + 8 * lines + 20 * bits))


@register("builtin")
class BuiltinPolicy(Policy):
    """Coverage-directed stimulus from RTL facts, refined by each observation's uncovered points."""

    name: ClassVar[str] = "builtin"
    # Chosen by measurement on the 43 bundled designs (bench --split all, seed 0): average coverage
    # 93.9% / 97.3% / 97.9% / 98.6% / 98.6% at 1 / 2 / 4 / 6 / 8 steps; gains stop at 6.
    default_iterations: ClassVar[int] = 6

    def __init__(self, growth: float = 2.0, max_scale: float = 8.0) -> None:
        self.growth = growth
        self.max_scale = max_scale
        self._facts: dict[str, RtlFacts] = {}

    def settings(self) -> dict[str, Any]:
        return {"growth": self.growth, "max_scale": self.max_scale}

    def facts(self, design: Design) -> RtlFacts:
        key = design.build.rtl_digest() + design.top
        if key not in self._facts:
            self._facts[key] = mine_facts(design.interface, design.rtl_text)
        return self._facts[key]

    def propose(self, state: State, seed: int) -> Proposal:
        design = state.design
        facts = self.facts(design)
        refine = 0 if state.observation is None else state.step + 1
        focus_values, focus_rules, focus_timeouts = self._focus(state, facts)
        plan = self.plan(design, facts, seed, refine, focus_values, focus_rules, focus_timeouts)
        plan = fit_budget(plan, design, self.budget(design, seed, refine))
        tb = render(design, plan, self.name, refine)
        info = {
            "cycles": simulated_cycles(plan, design),
            "refinement": refine,
            "focus_values": {k: len(v) for k, v in focus_values.items()},
            "rules": len(plan.rules),
        }
        return Proposal(tb, info=info)

    def budget(self, design: Design, seed: int, refine: int) -> int:
        """The cycles a step simulates: those of its plan without focus, so that the budget depends on the
        design and the refinement level only (the best state's step + 1), never on what that state left
        uncovered; random, given the same level, gets exactly the same."""
        return simulated_cycles(self.plan(design, self.facts(design), seed, refine), design)

    def _focus(self, state: State, facts: RtlFacts) -> tuple[dict[str, list[int]], list[Rule], set[int]]:
        """Values, rules and timeouts named by the uncovered points of the current state."""
        obs = state.observation
        if obs is None or obs.coverage is None:
            return {}, [], set()
        design = state.design
        uncovered = obs.uncovered()
        rules = rules_from_expressions(
            [p.comment for p in uncovered if p.metric == "expr"], design.interface, facts
        )
        lines: dict[str, set[int]] = {}
        for p in uncovered:
            if p.metric in ("line", "branch", "expr"):
                lo, hi = p.span or (p.line, p.line)
                lines.setdefault(p.file, set()).update(range(p.line, max(p.line, hi) + 1))
                lines[p.file].add(lo)
        # Re-read only the uncovered lines, plus the case headers and item labels that guard them: without
        # the labels (`S_LEN:`) a value compared in one state would be driven in every state.
        excerpt: dict[str, str] = {}
        for file, wanted in lines.items():
            excerpt[file] = "\n".join(_excerpt_line(i + 1 in wanted, ln) for i, ln in enumerate(_read(file).splitlines()))
        local = mine_facts(design.interface, excerpt) if excerpt else RtlFacts()
        values = {k: list(v) for k, v in local.order.items()}
        for name, missed in missed_values(obs.functional, INPUT_PREFIX).items():  # functional bins never hit
            values[name] = list(dict.fromkeys(missed + values.get(name, [])))
        return values, rules + local.rules, local.timeouts

    def plan(
        self,
        design: Design,
        facts: RtlFacts,
        seed: int,
        refine: int,
        focus_values: dict[str, list[int]] | None = None,
        focus_rules: list[Rule] | None = None,
        focus_timeouts: set[int] | None = None,
    ) -> Plan:
        focus_values = focus_values or {}
        scale = min(self.max_scale, self.growth**refine)
        cycles = int(base_cycles(design) * scale)
        interesting: dict[str, list[int]] = {}
        for name in (p.name for p in design.interface.data_inputs):
            ordered = list(dict.fromkeys(focus_values.get(name, []) + facts.order.get(name, [])))
            if ordered:
                interesting[name] = ordered[:MAX_VALUES_PER_INPUT]
        rules = list(dict.fromkeys((focus_rules or []) + facts.rules))[:MAX_RULES]
        vip, interesting, rules = self._vip(design, facts, interesting, rules)
        wires = wire_inputs(design, Plan(seed, vip=vip))
        inputs = [p.name for p in wires]
        mirrors = {k: sorted(v) for k, v in facts.mirrors.items() if k in inputs}
        # Long counters are waited out as far as the run's time limit allows: the largest that fit.
        patterns = ("keep", "zero", "ones") if refine else ("keep", "zero")
        room = max(0, cycle_limit() - 4 * cycles)
        timeouts: list[int] = []
        for t in sorted(facts.timeouts | (focus_timeouts or set()), reverse=True):
            need = len(patterns) * (int(t * 1.1) + 8 + 50)
            if len(timeouts) < 3 and need <= room:
                timeouts.append(t)
                room -= need
        phases: list[tuple[str, int, Any]] = [("corners", 0, None)]
        if interesting:
            phases.append(("sequence", 1, None))
            phases.append(("sequence", 4, None))
        # Plain random first (a new value every cycle): biased phases below keep values for runs and
        # favour mined values, which alone can miss what uniform values cover (wide decoders).
        phases.append(("uniform", cycles, None))
        phases.append(("random", cycles // 2, 0.3))
        for t in sorted(timeouts):
            hold = int(t * 1.1) + 8
            for pattern in patterns:
                phases.append(("hold", hold, pattern))
                phases.append(("random", 50, 0.3))
        phases.append(("reset", 2, None))
        phases.append(("random", cycles // 2, 0.6 if refine else 0.5))
        # Reset pulses with the other inputs random or all ones (a reset that acts only under an
        # enable; operands loaded during reset), each followed by long enough for the counters the
        # RTL has (a sequential multiply) to run out.
        short = [c for c in facts.counters.values() if c <= 1024] + [t for t in facts.timeouts if t <= 1024]
        settle = max(MIN_SETTLE, min(1100, int(max(short, default=0) * 1.1) + 8))
        pulses = min(6 * PULSES, PULSES * (1 + 2 * refine))
        phases.append(("pulses", pulses * (settle + 3), (pulses, settle)))
        if refine:
            phases.append(("sequence", 16, None))
            phases.append(("random", cycles // 2, 0.8))
            # Counters that need many events in a row: random stimulus with one control input held.
            controls = [p.name for p in wires if p.width == 1][:MAX_FROZEN]
            freeze = max(200, min(3000, cycles // 2))
            for name in controls:
                phases.append(("freeze", freeze, {name: 0}))
                phases.append(("freeze", freeze, {name: 1}))
            # Slow protocols (oversampled serial lines, handshakes with minimum phase lengths).
            phases.append(("slow", cycles // 2, 4 * refine))
            # Key presses (last, so the phases above see the draws they always had): a keypad or button
            # vector behind a debouncer and a one-hot check needs one key held, then all released.
            if any(p.width > 1 for p in wires):
                hold = press_hold(facts)
                presses = min(MAX_PRESSES, PRESSES * refine, room // (2 * hold))  # within the time limit
                if presses:
                    phases.append(("presses", 2 * presses * hold, (presses, hold)))
        return Plan(
            seed=seed,
            interesting=interesting,
            mirrors=mirrors,
            rules=rules,
            run_lengths=[1, 1, 1, 2, 3, 4, 8, 16, 64],
            phases=phases,
            vip=vip,
        )

    @staticmethod
    def _vip(
        design: Design, facts: RtlFacts, interesting: dict[str, list[int]], rules: list[Rule]
    ) -> tuple[list[VipGroup], dict[str, list[int]], list[Rule]]:
        """The VIP groups (none with ``vip = false``), and the values and rules left to per-wire stimulus:
        what the RTL compares a VIP-driven input with, and what a rule would drive on it, become the VIP's
        data and addresses instead."""
        groups = match_groups(design.interface) if design.config.vip else []
        owned = driven_inputs(groups)
        if not owned:
            return [], interesting, rules
        values = {k: list(v) for k, v in interesting.items() if k in owned}
        kept: list[Rule] = []
        for rule in rules:
            for name, value in rule.drives:
                if name in owned and isinstance(value, int):
                    values.setdefault(name, [])
                    if value not in values[name]:
                        values[name].append(value)
            drives = tuple((n, v) for n, v in rule.drives if n not in owned)
            if drives:
                kept.append(replace(rule, drives=drives))
        bounds = {*facts.params.values(), *facts.timeouts, *facts.counters.values()}
        bounds |= {v for vs in facts.internal_values.values() for v in vs}
        groups = with_settings(groups, bounds, values)
        return groups, {k: v for k, v in interesting.items() if k not in owned}, kept


def _excerpt_line(wanted: bool, line: str) -> str:
    if wanted or "case" in line:  # also endcase
        return line
    label = _CASE_ITEM.match(line)
    return label.group(0) if label else ""


def _read(path: str) -> str:
    try:
        with open(path, errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""
