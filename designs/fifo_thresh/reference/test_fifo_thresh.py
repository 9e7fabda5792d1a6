"""Reference testbench for fifo_thresh: FWFT data, level, programmable watermarks, error flags and clear."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

DEPTH = 16


class Model:
    def __init__(self):
        self.reset()

    def reset(self):
        self.q = []
        self.af = 12
        self.ae = 4
        self.ovf = 0
        self.udf = 0

    def step(self, wr, data, rd, cfg, af, ae, clr):
        full = len(self.q) == DEPTH
        empty = len(self.q) == 0
        if wr and full:
            self.ovf = 1
        elif clr:
            self.ovf = 0
        if rd and empty:
            self.udf = 1
        elif clr:
            self.udf = 0
        if cfg:
            self.af, self.ae = af, ae
        if rd and not empty:
            self.q.pop(0)
        if wr and not full:
            self.q.append(data)


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.m = Model()
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def idle(self):
        d = self.dut
        for s in (d.wr_en, d.wr_data, d.rd_en, d.cfg_we, d.err_clr):
            s.value = 0

    async def reset(self):
        self.idle()
        self.dut.cfg_af.value = 0
        self.dut.cfg_ae.value = 0
        self.dut.rst_n.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.m.reset()
        await FallingEdge(self.dut.clk)
        self.check()

    def check(self):
        d, m = self.dut, self.m
        n = len(m.q)
        assert int(d.level.value) == n, f"level {int(d.level.value)} != {n}"
        assert int(d.full.value) == int(n == DEPTH)
        assert int(d.empty.value) == int(n == 0)
        assert int(d.almost_full.value) == int(n >= m.af), f"almost_full at {n}, af={m.af}"
        assert int(d.almost_empty.value) == int(n <= m.ae), f"almost_empty at {n}, ae={m.ae}"
        assert int(d.rd_data.value) == (m.q[0] if m.q else 0), "rd_data (head) mismatch"
        assert int(d.ovf_err.value) == m.ovf, "ovf_err"
        assert int(d.udf_err.value) == m.udf, "udf_err"

    async def cycle(self, wr=0, data=0, rd=0, cfg=0, af=0, ae=0, clr=0):
        d = self.dut
        d.wr_en.value = wr
        d.wr_data.value = data
        d.rd_en.value = rd
        d.cfg_we.value = cfg
        d.cfg_af.value = af
        d.cfg_ae.value = ae
        d.err_clr.value = clr
        await RisingEdge(d.clk)
        self.m.step(wr, data, rd, cfg, af, ae, clr)
        await FallingEdge(d.clk)
        self.idle()
        self.check()


@cocotb.test()
async def test_watermarks_and_errors(dut):
    tb = TB(dut)
    await tb.reset()
    # pop on empty -> udf_err; pop + clear in the same cycle keeps it set
    await tb.cycle(rd=1)
    await tb.cycle(rd=1, clr=1)
    assert int(dut.udf_err.value) == 1
    await tb.cycle(clr=1)
    # program thresholds, fill with complementary patterns, push once more -> ovf_err
    await tb.cycle(cfg=1, af=16, ae=1)
    for i in range(DEPTH):
        await tb.cycle(wr=1, data=0xFF if i % 2 else 0x00)
    await tb.cycle(wr=1, data=0x77)
    assert int(dut.ovf_err.value) == 1
    # full: simultaneous push+pop -> only the pop happens
    await tb.cycle(wr=1, data=0x12, rd=1)
    await tb.cycle(clr=1)
    # empty: simultaneous push+pop -> push happens, underflow flagged
    for _ in range(DEPTH - 1):
        await tb.cycle(rd=1)
    await tb.cycle(wr=1, data=0x34, rd=1)
    await tb.cycle(wr=1, data=0x56, rd=1)   # mid-range: both happen, level unchanged
    await tb.cycle(clr=1)
    # threshold sweep: every value of af/ae including out-of-range ones, at varying levels
    for i in range(DEPTH):
        await tb.cycle(wr=1, data=0x00 if i % 2 else 0xFF)
    for thr in range(32):
        await tb.cycle(cfg=1, af=thr, ae=31 - thr, rd=int(thr % 2 == 0))
    await tb.cycle(cfg=1, af=0, ae=0)
    await tb.cycle(cfg=1, af=31, ae=31)
    await tb.cycle(cfg=1, af=0, ae=0)


@cocotb.test()
async def test_random_traffic(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(11)
    for n in range(700):
        phase = (n // 60) % 3
        pw = (0.85, 0.15, 0.5)[phase]
        pr = (0.15, 0.85, 0.5)[phase]
        cfg = int(rng.random() < 0.04)
        await tb.cycle(wr=int(rng.random() < pw), data=rng.randrange(256), rd=int(rng.random() < pr),
                       cfg=cfg, af=rng.randrange(32), ae=rng.randrange(32), clr=int(rng.random() < 0.05))
    # reset asserted again in the middle of traffic
    for _ in range(5):
        await tb.cycle(wr=1, data=rng.randrange(256))
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 1)
    dut.rst_n.value = 1
    tb.m.reset()
    await FallingEdge(dut.clk)
    tb.check()
    await tb.cycle(wr=1, data=0xC3)
    await tb.cycle(rd=1)
