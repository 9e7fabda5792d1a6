"""Reference testbench for spi_slave: a bit-banged SPI master does reads, writes, bursts, unmapped and
read-only accesses, aborts and W1C flag clears against a register model."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge


class Regs:
    def __init__(self):
        self.reset()

    def reset(self):
        self.ctrl = self.dout = 0
        self.wr_cnt = 0
        self.abort = self.bad = self.ro_wr = 0

    def stat(self):
        return (self.wr_cnt << 4) | (self.abort << 2) | (self.bad << 1) | self.ro_wr

    def read(self, addr, din):
        return {0: self.ctrl, 1: self.dout, 2: din, 3: self.stat()}.get(addr, 0)

    def write(self, addr, val):
        if addr == 0:
            self.ctrl = val
        elif addr == 1:
            self.dout = val
        elif addr == 2:
            self.ro_wr = 1
        elif addr == 3:
            self.ro_wr &= 1 - (val & 1)
            self.bad &= 1 - ((val >> 1) & 1)
            self.abort &= 1 - ((val >> 2) & 1)
        if addr in (0, 1):
            self.wr_cnt = (self.wr_cnt + 1) % 16


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.regs = Regs()
        self.half = 4
        self.strobes = 0
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        d = self.dut
        d.rst_n.value = 0
        d.sclk.value = 0
        d.cs_n.value = 1
        d.mosi.value = 0
        d.din.value = 0
        await ClockCycles(d.clk, 2)
        d.rst_n.value = 1
        self.regs.reset()
        await FallingEdge(d.clk)
        self.check_outputs()

    def check_outputs(self):
        assert int(self.dut.ctrl.value) == self.regs.ctrl, "ctrl"
        assert int(self.dut.dout.value) == self.regs.dout, "dout"

    async def wait(self, n):
        for _ in range(n):
            await FallingEdge(self.dut.clk)
            self.strobes += int(self.dut.wr_strobe.value)

    async def byte(self, value, nbits=8):
        """Shift one byte (MSB first) in mode 0; returns what the master samples on MISO."""
        d = self.dut
        got = 0
        for i in range(nbits):
            d.mosi.value = (value >> (7 - i)) & 1
            await self.wait(self.half)
            got = (got << 1) | int(d.miso.value)      # sampled at the rising edge
            d.sclk.value = 1
            await self.wait(self.half)
            d.sclk.value = 0
        return got

    async def transaction(self, cmd, data, din=None, abort_bits=None):
        """One CS window: command then data bytes. Checks MISO against the model and updates it."""
        d, r = self.dut, self.regs
        if din is not None:
            d.din.value = din
        din_v = int(d.din.value) if din is None else din
        d.cs_n.value = 0
        await self.wait(self.half)
        assert int(d.miso_oe.value) == 1
        got = await self.byte(cmd)
        assert got == 0, "MISO is 0 during the command byte"
        addr, rd = cmd & 0x7F, cmd >> 7
        out = []
        expected = r.read(addr, din_v)          # loaded when the command byte completes
        for val in data:
            got = await self.byte(val)
            assert got == expected, f"MISO {got:#04x} != reg[{addr:#x}] {expected:#04x}"
            out.append(got)
            # the next byte's MISO value is loaded on the edge that completes this byte,
            # before this byte's own write takes effect
            expected = r.read((addr + 1) & 0x7F, din_v)
            if addr >= 4:
                r.bad = 1
            if not rd:
                r.write(addr, val)
            addr = (addr + 1) & 0x7F
        if abort_bits:
            await self.byte(0xFF, abort_bits)
            r.abort = 1
        await self.wait(self.half)
        d.cs_n.value = 1
        await self.wait(1)
        assert int(d.miso_oe.value) == 0
        await self.wait(self.half)
        self.check_outputs()
        return out

    async def read(self, addr):
        return (await self.transaction(0x80 | addr, [0x00]))[0]

    async def check_stat(self):
        assert await self.read(3) == self.regs.stat(), "STAT"


@cocotb.test()
async def test_registers(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.transaction(0x00, [0xA5])                  # write CTRL
    await tb.transaction(0x01, [0x5A])                  # write DOUT
    assert tb.strobes == 2
    assert await tb.read(0) == 0xA5
    assert await tb.read(1) == 0x5A
    assert await tb.transaction(0x02, [0x3C], din=0xC3) == [0xC3]  # write to RO returns old value
    assert tb.regs.ro_wr == 1
    await tb.read(2)
    await tb.check_stat()
    # burst write CTRL, DOUT, DIN, STAT (W1C) and burst read back
    await tb.transaction(0x00, [0xFF, 0x00, 0x77, 0x01], din=0xFF)
    await tb.transaction(0x80, [0, 0, 0, 0], din=0x00)
    await tb.transaction(0x00, [0x00, 0xFF])
    await tb.transaction(0x80, [0, 0, 0, 0], din=0x81)
    # a command byte alone does nothing
    await tb.transaction(0x05, [])
    await tb.transaction(0x81, [])
    await tb.check_stat()
    # 16 writes: the write counter wraps
    for i in range(16):
        await tb.transaction(i & 1, [i * 17 & 0xFF])
    await tb.check_stat()
    assert tb.strobes == 2 + 2 + 2 + 16


@cocotb.test()
async def test_errors(dut):
    tb = TB(dut)
    await tb.reset()
    # unmapped accesses: write and read, highest address, burst wrapping 0x7F -> 0x00
    await tb.transaction(0x2A, [0x11])
    assert tb.regs.bad == 1
    await tb.transaction(0xD5, [0x00])
    await tb.transaction(0x7F, [0x99, 0x66])            # 0x7F unmapped, then CTRL
    assert tb.regs.ctrl == 0x66
    await tb.transaction(0xFE, [0, 0, 0])
    await tb.check_stat()
    # abort: CS rises in the middle of a command byte and of a data byte
    await tb.transaction(0x00, [], abort_bits=3)
    await tb.transaction(0x01, [0x42], abort_bits=7)
    assert tb.regs.dout == 0x42
    await tb.transaction(0x01, [], abort_bits=5)        # partial data byte not written
    await tb.check_stat()
    # W1C: clear one flag at a time, writing 0 leaves flags
    await tb.transaction(0x02, [0x00])                  # RO_WR
    await tb.transaction(0x03, [0xF8])
    await tb.check_stat()
    for bit in (0, 1, 2):
        await tb.transaction(0x03, [1 << bit])
        await tb.check_stat()
    # faster SCLK (3-clock phases) and random traffic against the model
    rng = random.Random(12)
    for n in range(12):
        tb.half = 3 + (n % 2)
        cmd = rng.choice([0x00, 0x01, 0x02, 0x03, 0x80, 0x81, 0x82, 0x83, rng.randint(0, 255)])
        await tb.transaction(cmd, [rng.randint(0, 255) for _ in range(rng.randint(0, 3))], din=rng.randint(0, 255))
    tb.half = 4
    await tb.check_stat()
    # reset in the middle of a transaction
    dut.cs_n.value = 0
    await tb.wait(4)
    await tb.byte(0x00, 5)
    await tb.reset()
    dut.cs_n.value = 1
    await tb.wait(4)
    assert await tb.read(3) == 0
