"""Reference testbench for sipo_piso: SIPO and PISO in both directions, byte_done, load priority, reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer


class Model:
    def __init__(self):
        self.sr = 0
        self.bitcnt = 0
        self.byte_done = 0

    def sout(self, lsb_first):
        return (self.sr & 1) if lsb_first else (self.sr >> 7) & 1

    def step(self, load, pin, shift, lsb_first, sin):
        if load:
            self.sr, self.bitcnt, self.byte_done = pin, 0, 0
        elif shift:
            self.sr = ((sin << 7) | (self.sr >> 1)) if lsb_first else (((self.sr << 1) | sin) & 0xFF)
            self.byte_done = int(self.bitcnt == 7)
            self.bitcnt = (self.bitcnt + 1) % 8
        else:
            self.byte_done = 0


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.model = Model()
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        self.dut.rst_n.value = 0
        await self.drive()
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.model = Model()
        await FallingEdge(self.dut.clk)

    async def drive(self, load=0, pin=0, shift=0, lsb_first=0, sin=0):
        d = self.dut
        d.load.value, d.pin.value, d.shift.value = load, pin, shift
        d.lsb_first.value, d.sin.value = lsb_first, sin

    async def cycle(self, load=0, pin=0, shift=0, lsb_first=0, sin=0):
        """Drive, check the combinational sout, clock, check registered outputs. Returns sout seen."""
        d, m = self.dut, self.model
        await self.drive(load, pin, shift, lsb_first, sin)
        await Timer(1, unit="ns")
        so = int(d.sout.value)
        assert so == m.sout(lsb_first), "sout mismatch"
        await RisingEdge(d.clk)
        m.step(load, pin, shift, lsb_first, sin)
        await FallingEdge(d.clk)
        assert int(d.pout.value) == m.sr, f"pout {int(d.pout.value):#x} != {m.sr:#x}"
        assert int(d.byte_done.value) == m.byte_done, "byte_done mismatch"
        return so

    async def send_byte(self, byte, lsb_first):
        """PISO: load then shift out 8 bits; returns the bits seen on sout."""
        await self.cycle(load=1, pin=byte)
        bits = []
        for _ in range(8):
            bits.append(await self.cycle(shift=1, lsb_first=lsb_first))
        assert int(self.dut.byte_done.value) == 1
        return bits

    async def receive_byte(self, byte, lsb_first):
        """SIPO: shift 8 bits of byte in (in wire order); returns pout afterwards."""
        order = range(8) if lsb_first else range(7, -1, -1)
        for i in order:
            await self.cycle(shift=1, lsb_first=lsb_first, sin=(byte >> i) & 1)
        assert int(self.dut.byte_done.value) == 1
        return int(self.dut.pout.value)


@cocotb.test()
async def test_sipo_piso(dut):
    tb = TB(dut)
    await tb.reset()
    for byte in (0xA5, 0x3C, 0xFF, 0x00, 0x81):
        for lsb in (0, 1):
            bits = await tb.send_byte(byte, lsb)
            expect = [(byte >> i) & 1 for i in (range(8) if lsb else range(7, -1, -1))]
            assert bits == expect, f"PISO {byte:#x} lsb_first={lsb}: {bits}"
            await tb.cycle()                              # idle: byte_done drops
            await tb.cycle(load=1, pin=0)
            assert await tb.receive_byte(byte, lsb) == byte, f"SIPO {byte:#x} lsb_first={lsb}"
    # load beats shift; load mid-byte restarts the shift count
    await tb.cycle(shift=1, sin=1)
    await tb.cycle(shift=1, sin=1)
    await tb.cycle(load=1, pin=0x5A, shift=1, sin=1)
    for _ in range(8):
        await tb.cycle(shift=1, lsb_first=1, sin=0)
    # random traffic
    rng = random.Random(9)
    for _ in range(300):
        await tb.cycle(load=int(rng.random() < 0.05), pin=rng.randrange(256), shift=int(rng.random() < 0.7),
                       lsb_first=int(rng.random() < 0.5), sin=rng.randrange(2))


@cocotb.test()
async def test_reset_mid_byte(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.cycle(load=1, pin=0xFF)
    await tb.cycle(shift=1, sin=0)
    dut.rst_n.value = 0
    await Timer(2, unit="ns")
    assert int(dut.pout.value) == 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    tb.model = Model()
    await FallingEdge(dut.clk)
    assert await tb.receive_byte(0x96, 0) == 0x96
