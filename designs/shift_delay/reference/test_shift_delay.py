"""Reference testbench for shift_delay: delays at every tap, enable gating, fill/valid flags, flush, reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer

DEPTH = 8
WIDTH = 4


class Model:
    def __init__(self):
        self.line = [0] * DEPTH
        self.fill = 0

    def step(self, en, flush, din):
        if flush:
            self.line, self.fill = [0] * DEPTH, 0
        elif en:
            self.line = [din] + self.line[:-1]
            self.fill = min(self.fill + 1, DEPTH)


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.model = Model()
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        self.dut.rst_n.value = 0
        self.dut.en.value = 0
        self.dut.flush.value = 0
        self.dut.din.value = 0
        self.dut.tap_sel.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.model = Model()
        await FallingEdge(self.dut.clk)

    async def check_taps(self, sels=range(DEPTH)):
        d, m = self.dut, self.model
        assert int(d.dout.value) == m.line[-1], "dout mismatch"
        assert int(d.full.value) == int(m.fill == DEPTH), "full mismatch"
        for s in sels:
            # 0.5 ns per tap: all eight taps are checked well inside the low clock phase
            d.tap_sel.value = s
            await Timer(500, unit="ps")
            assert int(d.tap_out.value) == m.line[s], f"tap {s}: {int(d.tap_out.value)} != {m.line[s]}"
            assert int(d.tap_valid.value) == int(m.fill > s), f"tap_valid {s} mismatch"

    async def cycle(self, en=1, flush=0, din=0, sels=None):
        d = self.dut
        d.en.value, d.flush.value, d.din.value = en, flush, din
        await RisingEdge(d.clk)
        self.model.step(en, flush, din)
        await FallingEdge(d.clk)
        if sels is None:
            sels = [random.randrange(DEPTH)]
        await self.check_taps(sels)


@cocotb.test()
async def test_delays_and_fill(dut):
    random.seed(2)
    tb = TB(dut)
    await tb.reset()
    await tb.check_taps()
    # fill the line: tap_valid rises one stage per shift, full after DEPTH shifts
    for i in range(DEPTH + 2):
        await tb.cycle(din=(i * 3 + 1) % 16, sels=range(DEPTH))
    # a single marker sample appears at every tap after the right number of shifts
    await tb.cycle(din=0xF, sels=[0])
    for k in range(1, DEPTH):
        await tb.cycle(din=0, sels=[k])
        assert int(dut.tap_out.value) == 0xF, f"marker not at tap {k}"
    await tb.cycle(din=0)
    assert int(dut.dout.value) == 0 and tb.model.line[-1] == 0
    # enable low freezes the line
    await tb.cycle(din=0xA)
    for _ in range(3):
        await tb.cycle(en=0, din=0x5, sels=range(DEPTH))
    # flush beats en
    await tb.cycle(en=1, flush=1, din=0xF, sels=range(DEPTH))
    assert int(dut.full.value) == 0
    rng = random.Random(6)
    for _ in range(200):
        await tb.cycle(en=int(rng.random() < 0.7), flush=int(rng.random() < 0.03), din=rng.randrange(16))
    # alternating all-ones / all-zeros through every stage
    for i in range(2 * DEPTH + 2):
        await tb.cycle(din=0xF if (i // DEPTH) % 2 == 0 else 0x0, sels=range(DEPTH))


@cocotb.test()
async def test_reset_mid_run(dut):
    tb = TB(dut)
    await tb.reset()
    for i in range(DEPTH):
        await tb.cycle(din=0xF)
    dut.rst_n.value = 0
    await Timer(2, unit="ns")
    assert int(dut.dout.value) == 0 and int(dut.full.value) == 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    tb.model = Model()
    await FallingEdge(dut.clk)
    for i in range(4):
        await tb.cycle(din=i)
