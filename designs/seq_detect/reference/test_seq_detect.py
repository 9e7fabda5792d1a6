"""Reference testbench for seq_detect: overlapping matches, valid gaps, counter wrap, clear, reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

PATTERN = [1, 1, 0, 1, 0, 1, 1, 0]


class Model:
    """Reference: shift history of qualified bits, compare the last eight with the pattern."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.hist = []
        self.count = 0
        self.match = 0

    def progress(self):
        for k in range(7, -1, -1):
            if k == 0 or self.hist[-k:] == PATTERN[:k]:
                if k <= len(self.hist):
                    return k
        return 0

    def step(self, valid, bit, clr):
        hit = 0
        if valid:
            self.hist = (self.hist + [bit])[-8:]
            hit = int(self.hist == PATTERN)
        self.match = hit
        if clr:
            self.count = 0
        elif hit:
            self.count = (self.count + 1) % 256


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.model = Model()
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        self.dut.rst_n.value = 0
        self.dut.din_valid.value = 0
        self.dut.din.value = 0
        self.dut.clr_count.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.model.reset()
        await FallingEdge(self.dut.clk)

    async def step(self, bit, valid=1, clr=0):
        """Drive one cycle (we are just after a falling edge), then check after the next falling edge."""
        self.dut.din.value = bit
        self.dut.din_valid.value = valid
        self.dut.clr_count.value = clr
        await RisingEdge(self.dut.clk)
        self.model.step(valid, bit, clr)
        await FallingEdge(self.dut.clk)
        self.check()

    def check(self):
        m = self.model
        assert int(self.dut.match.value) == m.match, f"match {int(self.dut.match.value)} != {m.match}"
        assert int(self.dut.match_count.value) == m.count, \
            f"count {int(self.dut.match_count.value)} != {m.count}"
        assert int(self.dut.progress.value) == m.progress(), \
            f"progress {int(self.dut.progress.value)} != {m.progress()} hist={m.hist}"

    async def bits(self, seq, valid=1):
        for b in seq:
            await self.step(b, valid)


@cocotb.test()
async def test_single_and_overlap(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.bits(PATTERN)
    assert tb.model.count == 1
    # overlapping continuation: "10110" completes a second match
    await tb.bits([1, 0, 1, 1, 0])
    assert tb.model.count == 2
    # gaps with din_valid low do not break a partial match
    for b in PATTERN:
        await tb.step(b)
        await tb.step(1 - b, valid=0)
    assert tb.model.count == 3
    # every failure arc of the automaton: walk each prefix then the wrong bit
    for k in range(8):
        await tb.bits([0, 0, 0])
        await tb.bits(PATTERN[:k] + [1 - PATTERN[k]])
    await tb.bits([1, 1, 1, 1, 0, 0])


@cocotb.test()
async def test_wrap_and_clear(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.bits(PATTERN)
    # 260 back-to-back overlapping matches: the counter wraps through 255 -> 0
    for _ in range(260):
        await tb.bits([1, 0, 1, 1, 0])
    assert tb.model.count == (261 % 256)
    # clear on the same edge as a match: clear wins
    await tb.bits([1, 0, 1, 1])
    await tb.step(0, clr=1)
    assert tb.model.count == 0 and tb.model.match == 1
    await tb.step(0, clr=1)
    # random traffic
    rng = random.Random(7)
    for _ in range(400):
        await tb.step(rng.randint(0, 1), valid=int(rng.random() < 0.8), clr=int(rng.random() < 0.01))
    # reset mid-stream
    await tb.bits(PATTERN[:6])
    await tb.reset()
    tb.check()
    await tb.bits(PATTERN)
