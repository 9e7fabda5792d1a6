"""Reference testbench for bram_be: byte-enable writes, registered reads, no-change write mode, reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

WORDS = 16


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.mem = [None] * WORDS   # None: never written (contents unknown)
        self.rdata = 0
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def idle(self):
        d = self.dut
        d.en.value = 0
        d.we.value = 0
        d.be.value = 0
        d.addr.value = 0
        d.wdata.value = 0

    async def reset(self):
        self.idle()
        self.dut.rst_n.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.rdata = 0
        await FallingEdge(self.dut.clk)
        assert int(self.dut.rdata.value) == 0

    async def access(self, en, we, addr, be=0xF, wdata=0):
        d = self.dut
        d.en.value = en
        d.we.value = we
        d.addr.value = addr
        d.be.value = be
        d.wdata.value = wdata
        await RisingEdge(d.clk)
        if en and we:
            mask = sum(0xFF << (8 * b) for b in range(4) if be >> b & 1)
            old = self.mem[addr] if self.mem[addr] is not None else 0
            if self.mem[addr] is not None or mask == 0xFFFFFFFF:
                self.mem[addr] = (old & ~mask) | (wdata & mask)
        elif en:
            assert self.mem[addr] is not None, "test reads an unwritten word"
            self.rdata = self.mem[addr]
        await FallingEdge(d.clk)
        self.idle()
        assert int(d.rdata.value) == self.rdata, f"rdata {int(d.rdata.value):#010x} != {self.rdata:#010x}"

    async def write(self, addr, wdata, be=0xF):
        await self.access(1, 1, addr, be, wdata)

    async def read(self, addr):
        await self.access(1, 0, addr)


@cocotb.test()
async def test_byte_enables(dut):
    tb = TB(dut)
    await tb.reset()
    # initialise every word, read back
    for a in range(WORDS):
        await tb.write(a, 0x0000_0000)
    for a in range(WORDS):
        await tb.read(a)
    # set every byte of every word to ones one byte lane at a time, then clear them the same way
    for a in range(WORDS):
        for b in range(4):
            await tb.write(a, 0xFFFF_FFFF, be=1 << b)
        await tb.read(a)
        assert tb.rdata == 0xFFFF_FFFF
    for a in range(WORDS):
        await tb.write(a, 0x0000_0000, be=0x5)
        await tb.write(a, 0x0000_0000, be=0xA)
        await tb.read(a)
        assert tb.rdata == 0
    # all byte-enable combinations on one word
    for be in range(16):
        await tb.write(5, 0x1234_5678 ^ (be * 0x1111_1111), be=be)
        await tb.read(5)
    # write keeps rdata (no-change), idle keeps rdata, en=0 with we=1 writes nothing
    await tb.write(7, 0xCAFE_F00D)
    await tb.read(7)
    await tb.write(7, 0x0BAD_BEEF)
    await tb.access(0, 0, 3)
    await tb.access(0, 1, 7, 0xF, 0xFFFF_FFFF)
    await tb.read(7)


@cocotb.test()
async def test_random_and_reset(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(21)
    for a in range(WORDS):
        await tb.write(a, rng.getrandbits(32))
    for _ in range(500):
        op = rng.random()
        a = rng.randrange(WORDS)
        if op < 0.45:
            await tb.write(a, rng.getrandbits(32), be=rng.randrange(16))
        elif op < 0.9:
            await tb.read(a)
        else:
            await tb.access(0, rng.randrange(2), a, rng.randrange(16), rng.getrandbits(32))
    # reset clears the output register only; the array keeps its contents
    await tb.write(2, 0xFFFF_FFFF)
    await tb.read(2)
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 1)
    dut.rst_n.value = 1
    tb.rdata = 0
    await FallingEdge(dut.clk)
    assert int(dut.rdata.value) == 0
    await tb.read(2)
    assert tb.rdata == 0xFFFF_FFFF
