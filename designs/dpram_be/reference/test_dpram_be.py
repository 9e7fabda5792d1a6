"""Reference testbench for dpram_be: byte writes on A, reads on A and B, read-before-write collisions."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

WORDS = 32


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.mem = [0] * WORDS   # the test writes every word before reading it
        self.a_rdata = 0
        self.b_rdata = 0
        self.coll = 0
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def idle(self):
        d = self.dut
        for s in (d.a_en, d.a_we, d.a_be, d.a_addr, d.a_wdata, d.b_en, d.b_addr):
            s.value = 0

    async def reset(self):
        self.idle()
        self.dut.rst_n.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.a_rdata = self.b_rdata = self.coll = 0
        await FallingEdge(self.dut.clk)
        self.check()

    def check(self):
        d = self.dut
        assert int(d.a_rdata.value) == self.a_rdata, f"a_rdata {int(d.a_rdata.value):#06x} != {self.a_rdata:#06x}"
        assert int(d.b_rdata.value) == self.b_rdata, f"b_rdata {int(d.b_rdata.value):#06x} != {self.b_rdata:#06x}"
        assert int(d.collision.value) == self.coll, "collision"

    async def cycle(self, a_en=0, a_we=0, a_be=0, a_addr=0, a_wdata=0, b_en=0, b_addr=0):
        d = self.dut
        d.a_en.value = a_en
        d.a_we.value = a_we
        d.a_be.value = a_be
        d.a_addr.value = a_addr
        d.a_wdata.value = a_wdata
        d.b_en.value = b_en
        d.b_addr.value = b_addr
        await RisingEdge(d.clk)
        a_write = a_en and a_we and a_be != 0
        if a_en and not a_we:
            self.a_rdata = self.mem[a_addr]
        if b_en:
            self.b_rdata = self.mem[b_addr]   # old data
        self.coll = int(bool(b_en and a_write and a_addr == b_addr))
        if a_write:
            mask = (0xFF if a_be & 1 else 0) | (0xFF00 if a_be & 2 else 0)
            self.mem[a_addr] = (self.mem[a_addr] & ~mask) | (a_wdata & mask)
        await FallingEdge(d.clk)
        self.idle()
        self.check()

    async def write(self, addr, data, be=3, **kw):
        await self.cycle(a_en=1, a_we=1, a_be=be, a_addr=addr, a_wdata=data, **kw)


@cocotb.test()
async def test_ports_and_collisions(dut):
    tb = TB(dut)
    await tb.reset()
    for a in range(WORDS):
        await tb.write(a, 0xFFFF)
    for a in range(WORDS):
        await tb.cycle(a_en=1, a_addr=a, b_en=1, b_addr=WORDS - 1 - a)
    for a in range(WORDS):
        await tb.write(a, 0x0000, be=1)
        await tb.write(a, 0x0000, be=2)
        await tb.cycle(a_en=1, a_addr=a, b_en=1, b_addr=a)
        assert tb.a_rdata == 0 and tb.b_rdata == 0
    # collision: write on A and read on B of the same word -> old data + flag
    await tb.write(9, 0xA5C3, b_en=1, b_addr=9)
    assert int(dut.collision.value) == 1 and int(dut.b_rdata.value) == 0
    await tb.cycle(b_en=1, b_addr=9)
    assert int(dut.b_rdata.value) == 0xA5C3 and int(dut.collision.value) == 0
    # not collisions: different address, B disabled, A with no byte enables, A reading
    await tb.write(9, 0x1111, b_en=1, b_addr=10)
    await tb.write(9, 0x2222, b_en=0, b_addr=9)
    await tb.write(9, 0x3333, be=0, b_en=1, b_addr=9)
    await tb.cycle(a_en=1, a_we=0, a_addr=9, b_en=1, b_addr=9)
    await tb.cycle(a_en=0, a_we=1, a_be=3, a_addr=9, a_wdata=0xFFFF, b_en=1, b_addr=9)
    # byte-lane collisions, back to back
    await tb.write(12, 0x00FF, be=1, b_en=1, b_addr=12)
    await tb.write(12, 0xFF00, be=2, b_en=1, b_addr=12)
    await tb.cycle(b_en=1, b_addr=12)
    assert int(dut.b_rdata.value) == 0xFFFF


@cocotb.test()
async def test_random_and_reset(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(9)
    for a in range(WORDS):
        await tb.write(a, rng.getrandbits(16))
    for _ in range(600):
        a_addr = rng.randrange(WORDS)
        b_addr = a_addr if rng.random() < 0.2 else rng.randrange(WORDS)
        await tb.cycle(a_en=int(rng.random() < 0.8), a_we=rng.randrange(2), a_be=rng.randrange(4),
                       a_addr=a_addr, a_wdata=rng.getrandbits(16), b_en=int(rng.random() < 0.7), b_addr=b_addr)
    await tb.write(3, 0xFFFF, b_en=1, b_addr=3)
    await tb.cycle(a_en=1, a_addr=3, b_en=1, b_addr=3)
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 1)
    dut.rst_n.value = 1
    tb.a_rdata = tb.b_rdata = tb.coll = 0
    await FallingEdge(dut.clk)
    tb.check()
    await tb.cycle(a_en=1, a_addr=3, b_en=1, b_addr=3)
