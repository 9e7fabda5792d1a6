"""Reference testbench for sync_fifo: ordering, full/empty, sticky overflow/underflow, err_clr, reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

DEPTH = 8


class Model:
    def __init__(self):
        self.reset()

    def reset(self):
        self.q = []
        self.rd_data = 0
        self.ovf = 0
        self.udf = 0

    def step(self, wr, data, rd, clr):
        rd_ok = rd and len(self.q) > 0
        wr_ok = wr and (len(self.q) < DEPTH or rd_ok)
        if clr:
            self.ovf = self.udf = 0
        else:
            self.ovf |= int(wr and not wr_ok)
            self.udf |= int(rd and not rd_ok)
        if rd_ok:
            self.rd_data = self.q.pop(0)
        if wr_ok:
            self.q.append(data)


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.m = Model()
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def idle(self):
        self.dut.wr_en.value = 0
        self.dut.rd_en.value = 0
        self.dut.wr_data.value = 0
        self.dut.err_clr.value = 0

    async def reset(self):
        self.idle()
        self.dut.rst_n.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.m.reset()
        await FallingEdge(self.dut.clk)
        self.check()

    def check(self):
        d, m = self.dut, self.m
        assert int(d.count.value) == len(m.q), f"count {int(d.count.value)} != {len(m.q)}"
        assert int(d.full.value) == int(len(m.q) == DEPTH)
        assert int(d.empty.value) == int(len(m.q) == 0)
        assert int(d.rd_data.value) == m.rd_data, f"rd_data {int(d.rd_data.value):#x} != {m.rd_data:#x}"
        assert int(d.overflow.value) == m.ovf, "overflow flag"
        assert int(d.underflow.value) == m.udf, "underflow flag"

    async def cycle(self, wr=0, data=0, rd=0, clr=0):
        """Drive one cycle (called just after a falling edge), then check after the next one."""
        d = self.dut
        d.wr_en.value = wr
        d.wr_data.value = data
        d.rd_en.value = rd
        d.err_clr.value = clr
        await RisingEdge(d.clk)
        self.m.step(wr, data, rd, clr)
        await FallingEdge(d.clk)
        self.idle()
        self.check()


@cocotb.test()
async def test_fill_drain_and_errors(dut):
    tb = TB(dut)
    await tb.reset()
    # underflow on an empty FIFO
    await tb.cycle(rd=1)
    assert int(dut.underflow.value) == 1
    await tb.cycle(clr=1)
    # fill to full with alternating patterns, then push once more -> overflow
    for i in range(DEPTH):
        await tb.cycle(wr=1, data=0xFF if i % 2 else 0x00)
    assert int(dut.full.value) == 1
    await tb.cycle(wr=1, data=0x5A)
    assert int(dut.overflow.value) == 1
    # full + simultaneous read and write: write accepted, no overflow added
    await tb.cycle(wr=1, data=0xA5, rd=1)
    # clear while an error condition is present: clear wins
    await tb.cycle(wr=1, data=0x11, clr=1)
    assert int(dut.overflow.value) == 0
    # drain completely, then read once more -> underflow
    for _ in range(DEPTH):
        await tb.cycle(rd=1)
    await tb.cycle(rd=1, clr=0)
    # simultaneous read+write on empty: write accepted, read refused
    await tb.cycle(wr=1, data=0x3C, rd=1)
    await tb.cycle(clr=1)
    # complement patterns through every slot
    for i in range(DEPTH):
        await tb.cycle(wr=1, data=0x00 if i % 2 else 0xFF)
    for _ in range(DEPTH):
        await tb.cycle(rd=1)


@cocotb.test()
async def test_random_traffic(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(7)
    for n in range(600):
        phase = (n // 100) % 3  # bias toward filling, draining, then mixed
        pw = (0.8, 0.2, 0.5)[phase]
        pr = (0.2, 0.8, 0.5)[phase]
        await tb.cycle(wr=int(rng.random() < pw), data=rng.randrange(256),
                       rd=int(rng.random() < pr), clr=int(rng.random() < 0.03))
    # reset in the middle of traffic, with data stored and errors set
    for _ in range(DEPTH + 1):
        await tb.cycle(wr=1, data=rng.randrange(256))
    await tb.cycle(rd=1)
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 1)
    dut.rst_n.value = 1
    tb.m.reset()
    await FallingEdge(dut.clk)
    tb.check()
    await tb.cycle(wr=1, data=0x81)
    await tb.cycle(rd=1)
