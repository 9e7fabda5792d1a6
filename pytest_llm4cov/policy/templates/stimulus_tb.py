"""Coverage-closure testbench for `{{TOP}}`, written by pytest-llm4cov ({{POLICY}} policy, step {{STEP}}).

Stimulus: reset, corner values on every input, then the phases in PLAN: biased random stimulus that
favours the values the RTL compares inputs against, conditions it guards on internal state, internal
values it checks inputs against (copied at run time), and long holds so counters and timeouts expire.
The checks: every output is a known value (no X/Z) whenever it is sampled after reset; registers hold
the value the RTL resets them to while reset is asserted (RESET_VALUES); registers whose every
assignment is a constant only ever hold one of those constants (LEGAL).
Functional coverage: the cocotb-coverage points in COVER, ARCS and CROSSES are sampled every cycle; pytest-llm4cov
collects their bins after the run (the `functional` metric). Add your own points the same way.
Edit freely: pytest-llm4cov never overwrites a testbench you changed; it writes its new one beside it.
"""

import random
import re

import cocotb
from cocotb.clock import Clock
from cocotb.handle import ArrayObject
from cocotb.triggers import FallingEdge, Timer
from cocotb_coverage.coverage import CoverPoint
{{VIP_IMPORTS}}
SEED = {{SEED}}
CLOCK = {{CLOCK}}  # None: a combinational design, stepped by time
RESET = {{RESET}}  # None: the design has no reset
RESET_ACTIVE = {{RESET_ACTIVE}}  # the level that asserts the reset
INPUTS = {{INPUTS}}  # data inputs and their widths
# Inputs the verification IP drives during test_coverage_closure (VIP below): a scenario may drive them.
VIP_INPUTS = {{VIP_INPUTS}}
OUTPUTS = {{OUTPUTS}}
# Packed struct inputs' fields: "port.field" -> (msb, lsb), for tb.set("ctrl_i.prediv", v).
FIELDS = {{FIELDS}}
# Values the RTL compares each input against: magic values, case items, boundaries.
INTERESTING = {{INTERESTING}}
# Internal signals the RTL compares inputs with: their run-time value is copied onto the input.
MIRRORS = {{MIRRORS}}
# (when these internal signals hold these values, drive these inputs), from guarded conditions;
# a value given as a name is that internal signal's value at the time.
RULES = {{RULES}}
# How many cycles an input keeps a value before a new one is drawn (chosen at random from this list).
RUN_LENGTHS = {{RUN_LENGTHS}}
# The stimulus, phase by phase: (kind, cycles, argument): uniform is plain random, random takes its bias towards
# INTERESTING/MIRRORS/RULES, freeze the inputs it holds fixed, slow how much longer values last,
# hold the pattern it holds, reset what the other inputs do during reset, pulses (count, cycles after each),
# presses (count, cycles each key is held and then released).
PLAN = {{PLAN}}
# Checks inferred from the RTL: the value each register holds while reset is asserted, and the only
# values some registers (FSM states) take after reset.
RESET_VALUES = {{RESET_VALUES}}
LEGAL = {{LEGAL}}
{{VIP_TABLE}}# Functional coverage: point -> (signals, bins). One signal: its values; several: the tuple of their
# values (a handshake's (valid, ready)).
COVER = {{COVER}}
# FSM arcs read from the RTL's next-state logic: point -> (state register, {(from, to): bin name}),
# sampled every cycle as (the register's value at the previous sample, its value now).
ARCS = {{ARCS}}
# Status flags crossed with requests: point -> (flag, request, bins), sampled as (the flag at the previous
# sample, as the clock edge saw it, the request now): (1, 1) is a write while full or a read while empty.
CROSSES = {{CROSSES}}
# Signals whose value at the previous sample the points above need.
TRACKED = list(dict.fromkeys([reg for reg, _ in ARCS.values()] + [flag for flag, _, _ in CROSSES.values()]))


def _cover_point(point, signals, bins):
    return CoverPoint(f"{{TOP}}.{point}", xf=lambda tb: tb.sample_value(signals), bins=bins)(lambda tb: None)


def _arc_point(point, reg, arcs):
    def arc(tb):
        return None if tb.in_reset() else arcs.get((tb.last.get(reg), tb.read(reg)))  # None: no arc, no bin

    return CoverPoint(f"{{TOP}}.{point}", xf=arc, bins=list(arcs.values()))(lambda tb: None)


def _cross_point(point, flag, request, bins):
    def cross(tb):
        return None if tb.in_reset() else (tb.last.get(flag), tb.read(request))

    return CoverPoint(f"{{TOP}}.{point}", xf=cross, bins=bins)(lambda tb: None)


SAMPLERS = [_cover_point(point, signals, bins) for point, (signals, bins) in COVER.items()]
SAMPLERS += [_arc_point(point, reg, arcs) for point, (reg, arcs) in ARCS.items()]
SAMPLERS += [_cross_point(point, flag, request, bins) for point, (flag, request, bins) in CROSSES.items()]


def drive(handle, value, width):
    """Assign ``value`` to a port; an unpacked array port takes it element by element, lowest first."""
    if isinstance(handle, ArrayObject):
        elements = list(handle)
        each = width // len(elements)
        for i, element in enumerate(elements):
            drive(element, value >> (i * each), each)
    else:
        handle.value = value & ((1 << width) - 1)


def bit_select(name):
    """``"instr_i[15:13]"`` -> ("instr_i", 15, 13); ``"en[2]"`` -> ("en", 2, 2); ``"en"`` -> ("en", None, None);
    a struct field ``"ctrl_i.prediv"`` -> ("ctrl_i", 111, 80), its bits from FIELDS."""
    if name in FIELDS:
        return (name.split(".", 1)[0], *FIELDS[name])
    match = re.fullmatch(r"\s*(\w+)\s*\[\s*(\d+)\s*(?::\s*(\d+)\s*)?\]\s*", name)
    if not match:
        return name, None, None
    a = int(match.group(2))
    b = int(match.group(3)) if match.group(3) is not None else a
    return match.group(1), max(a, b), min(a, b)


def packed(handle):
    """A signal's value and width; an unpacked array's elements packed lowest first, as ``drive`` takes them
    (``int()`` of the array itself raises, so its functional bins could never be hit)."""
    if isinstance(handle, ArrayObject):
        value = width = 0
        for element in handle:
            v, w = packed(element)
            value |= v << width
            width += w
        return value, width
    v = handle.value
    return int(v), len(v) if hasattr(v, "__len__") else 1


def port_values(handle):
    """A port's values: one, or one per element of an unpacked array."""
    if isinstance(handle, ArrayObject):
        return [v for element in handle for v in port_values(element)]
    return [handle.value]


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.rng = random.Random(SEED)
        self.cycles = 0
        self.quiet = False  # a hold phase keeps the inputs still: the verification IP (VIP) idles too
        self.vip = False  # True once the VIP drives VIP_INPUTS; until then they are driven like INPUTS
        self.last = {}  # the TRACKED signals at the previous sample; empty after a reset or a long wait
        self.written = {}  # each input's last value from set(): a write shows on the DUT only after the step
        if CLOCK:
            cocotb.start_soon(Clock(getattr(dut, CLOCK), 10, unit="ns").start())

    def set(self, name, value):
        """Drive an input; ``"instr_i[15:13]"`` or ``"instr_i[12]"`` drives those bits alone, the rest as they were
        (a decoder's fields written as the RTL compares them, no shifting and masking by hand)."""
        port, hi, lo = (name, None, None) if name in INPUTS else bit_select(name)  # the stimulus's calls: no parse
        if port == RESET:  # a scenario may pulse the reset itself, e.g. with an enable held
            getattr(self.dut, port).value = int(value) & 1
            return
        if port not in INPUTS and port not in VIP_INPUTS:  # an output or internal signal: said plainly
            raise ValueError(f"tb.set({name!r}): not an input (inputs: {', '.join([*INPUTS, *VIP_INPUTS])}); "
                             "read outputs and internal signals with tb.read")
        width = INPUTS[port] if port in INPUTS else VIP_INPUTS[port]
        value = int(value)
        if hi is not None:
            if hi >= width:
                raise ValueError(f"tb.set({name!r}): bit {hi} is past the {width} bits of {port}")
            mask = ((1 << (hi - lo + 1)) - 1) << lo
            value = (self.driven(port) & ~mask) | ((value << lo) & mask)
        self.written[port] = value & ((1 << width) - 1)
        drive(getattr(self.dut, port), value, width)

    def driven(self, port):
        """An input's value as last set (two fields set in one step both stay), else as the DUT shows it."""
        if port in self.written:
            return self.written[port]
        try:
            return packed(getattr(self.dut, port))[0]
        except (ValueError, TypeError):
            return 0

    def read(self, name):
        """An internal signal's value, or None when it is missing or not a known value."""
        port, hi, lo = bit_select(name) if name in FIELDS else (name, None, None)
        try:
            value = packed(getattr(self.dut, port))[0]
            return value if hi is None else (value >> lo) & ((1 << (hi - lo + 1)) - 1)
        except (AttributeError, ValueError, TypeError):
            return None

    def read_element(self, name):
        """An internal signal's value to copy onto an input; of an unpacked array (a memory, a CAM's stored
        keys), one element's, picked at random: the input is compared with an element, not the whole array."""
        handle = getattr(self.dut, name, None)
        if isinstance(handle, ArrayObject):
            try:
                return packed(self.rng.choice(list(handle)))[0]
            except (ValueError, TypeError, IndexError):
                return None
        return self.read(name)

    def sample_value(self, signals):
        if len(signals) == 1:
            return self.read(signals[0])
        return tuple(self.read(name) for name in signals)

    async def step(self, cycles=1):
        if CLOCK and cycles > 64:
            # A long wait in one timer (the simulator runs free), landing just after the last edge but one.
            await Timer(10 * (cycles - 1) + 3, unit="ns")
            self.cycles += cycles - 1
            cycles = 1
            self.last = {}  # the cycles in between were not sampled: no arc across the wait
        for _ in range(cycles):
            if CLOCK:
                await FallingEdge(getattr(self.dut, CLOCK))
            else:
                await Timer(10, unit="ns")
            self.cycles += 1
            for sample in SAMPLERS:
                sample(self)
            if TRACKED:
                self.last = {} if self.in_reset() else {name: self.read(name) for name in TRACKED}

    def in_reset(self):
        return RESET is not None and self.read(RESET) == RESET_ACTIVE

    async def reset(self, cycles=3, fill="zero"):
        """Assert the reset for ``cycles`` with the other inputs at zero, all ones, random values, or as they
        are ("keep"): some RTL resets only under another input (an enable), some loads operands during reset."""
        widths = INPUTS if self.vip else {**INPUTS, **VIP_INPUTS}
        for name in widths if fill != "keep" else ():
            self.set(name, self.rng.getrandbits(widths[name]) if fill == "random" else
                     (1 << widths[name]) - 1 if fill == "ones" else 0)
        if RESET:
            getattr(self.dut, RESET).value = RESET_ACTIVE
            await self.step(cycles)
            self.check_reset_values()
            getattr(self.dut, RESET).value = 1 - RESET_ACTIVE
        await self.step(1)

    def check_outputs_known(self):
        for name in OUTPUTS:
            for value in port_values(getattr(self.dut, name)):
                assert value.is_resolvable, f"output {name} is {value} after reset"

    def check_reset_values(self):
        for name, expected in RESET_VALUES.items():
            got = self.read(name)
            assert got is None or got == expected, f"{name} is {got:#x} in reset; the RTL resets it to {expected:#x}"

    def check_legal(self):
        for name, values in LEGAL.items():
            got = self.read(name)
            assert got is None or got in values, f"{name} is {got:#x}; the RTL only assigns it {values}"

    @staticmethod
    def corners(width):
        top = (1 << width) - 1
        values = [0, top, 1, 1 << (width - 1), top & 0x5555555555555555, top & 0xAAAAAAAAAAAAAAAA]
        values += [1 << b for b in range(width)] + [top ^ (1 << b) for b in range(width)]
        return list(dict.fromkeys(values))

    def choose(self, name, bias):
        width = INPUTS[name]
        r = self.rng.random()
        if r < bias and INTERESTING.get(name):
            return self.rng.choice(INTERESTING[name])
        if r < bias * 1.3 and MIRRORS.get(name):
            mirrored = self.read_element(self.rng.choice(MIRRORS[name]))
            if mirrored is not None:
                return mirrored
        if r < bias * 1.5:
            return self.rng.choice(self.corners(width))
        return self.rng.getrandbits(width)

    def apply_rules(self, bias):
        """For each input, pick one of the rules whose condition holds now and drive what it says."""
        choices = {}
        for when, drive in RULES:
            if all(self.read(sig) == val for sig, val in when.items()):
                for name, value in drive.items():
                    choices.setdefault(name, []).append(value)
        for name, values in choices.items():
            if self.rng.random() < bias:
                value = self.rng.choice(values)
                value = self.read_element(value) if isinstance(value, str) else value
                if value is not None:
                    self.set(name, value)

    async def corner_phase(self):
        for name, width in INPUTS.items():
            for value in self.corners(width):
                self.set(name, value)
                await self.step()
            self.set(name, 0)

    async def random_phase(self, cycles, bias, frozen=None, stretch=1):
        """Biased random values, each kept for a random run length (times ``stretch``, for slow
        protocols such as oversampled serial lines); ``frozen`` inputs stay fixed."""
        frozen = frozen or {}
        for name, value in frozen.items():
            self.set(name, value)
        hold = dict.fromkeys(INPUTS, 0)
        for _ in range(cycles):
            for name in INPUTS:
                if name in frozen:
                    continue
                if hold[name] <= 0:
                    self.set(name, self.choose(name, bias))
                    hold[name] = self.rng.choice(RUN_LENGTHS) * stretch
                hold[name] -= 1
            if RULES:
                self.apply_rules(bias)
            await self.step()
            if LEGAL:
                self.check_legal()
            if self.cycles % 97 == 0:
                self.check_outputs_known()

    async def uniform_phase(self, cycles):
        """A new uniform random value on every input each cycle: what plain random stimulus covers
        (wide decoders, syndromes), kept in the plan so the directed phases add to it."""
        for _ in range(cycles):
            for name, width in INPUTS.items():
                self.set(name, self.rng.getrandbits(width))
            await self.step()

    async def hold_phase(self, cycles, pattern):
        """Keep the inputs steady (all zero, all ones, or as they are) while counters run out."""
        for name, width in INPUTS.items():
            if pattern == "zero":
                self.set(name, 0)
            elif pattern == "ones":
                self.set(name, (1 << width) - 1)
        self.quiet = True
        await self.step(cycles)
        self.quiet = False

    async def pulse_phase(self, pulses, after):
        """Reset pulses with fresh input values (random, or all ones), each followed by ``after`` cycles
        of random stimulus: operands loaded during reset and one-shot computations run again."""
        for i in range(pulses):
            await self.reset(2, "ones" if i % 4 == 3 else "random")
            await self.random_phase(after, 0.3)

    async def press_phase(self, presses, hold):
        """Multi-bit inputs pressed like keys, one at a time: set to a one-hot value (or one the RTL
        compares it with) for ``hold`` cycles, then back to zero for ``hold`` cycles, so a keypad or a
        button vector behind a debouncer and a one-hot check sees whole presses and releases."""
        wide = [name for name, width in INPUTS.items() if width > 1]
        for name in wide:
            self.set(name, 0)  # every key released
        for _ in range(presses if wide else 0):
            name = self.rng.choice(wide)
            if INTERESTING.get(name) and self.rng.random() < 0.3:
                value = self.rng.choice(INTERESTING[name])
            else:
                value = 1 << self.rng.randrange(INPUTS[name])
            self.set(name, value)
            await self.step(hold)
            self.set(name, 0)
            await self.step(hold)

    async def sequence_phase(self, cycles_each):
        """Drive each input's interesting values in the order the RTL lists them."""
        for name, values in INTERESTING.items():
            for value in values:
                self.set(name, value)
                await self.step(cycles_each)
{{VIP_SECTION}}

@cocotb.test()
async def test_coverage_closure(dut):
    tb = TB(dut)
    await tb.reset()
    tb.check_outputs_known()
{{VIP_START}}    for kind, cycles, arg in PLAN:
        if kind == "corners":
            await tb.corner_phase()
        elif kind == "random":
            await tb.random_phase(cycles, arg)
        elif kind == "uniform":
            await tb.uniform_phase(cycles)
        elif kind == "freeze":
            await tb.random_phase(cycles, 0.3, frozen=arg)
        elif kind == "slow":
            await tb.random_phase(cycles, 0.3, stretch=arg)
        elif kind == "hold":
            await tb.hold_phase(cycles, arg)
        elif kind == "sequence":
            await tb.sequence_phase(cycles)
        elif kind == "reset":
            await tb.reset(cycles, arg or "zero")
        elif kind == "pulses":
            await tb.pulse_phase(*arg)
        elif kind == "presses":
            await tb.press_phase(*arg)
    tb.check_outputs_known()
