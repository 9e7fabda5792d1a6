"""Reference testbench for crc16_ccitt: known answer, good/corrupt frames against the 0x1D0F residue, init, reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer

RESIDUE = 0x1D0F


def crc_update(c, byte):
    c ^= byte << 8
    for _ in range(8):
        c = ((c << 1) ^ 0x1021) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
    return c


def crc_of(data, c=0xFFFF):
    for b in data:
        c = crc_update(c, b)
    return c


def with_fcs(msg):
    fcs = crc_of(msg) ^ 0xFFFF
    return list(msg) + [fcs >> 8, fcs & 0xFF]


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.crc = 0xFFFF
        self.ok = self.err = 0
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def drive(self, init=0, valid=0, data=0, last=0):
        d = self.dut
        d.init.value, d.valid.value, d.data.value, d.last.value = init, valid, data, last

    async def reset(self):
        self.dut.rst_n.value = 0
        self.drive()
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.crc, self.ok, self.err = 0xFFFF, 0, 0
        await FallingEdge(self.dut.clk)
        self.check()

    def check(self):
        d = self.dut
        assert int(d.crc.value) == self.crc, f"crc {int(d.crc.value):#06x} != {self.crc:#06x}"
        assert int(d.crc_out.value) == self.crc ^ 0xFFFF, "crc_out mismatch"
        assert int(d.match.value) == int(self.crc == RESIDUE), "match mismatch"
        assert int(d.frame_ok.value) == self.ok, "frame_ok mismatch"
        assert int(d.frame_err.value) == self.err, "frame_err mismatch"

    async def cycle(self, init=0, valid=0, data=0, last=0):
        self.drive(init, valid, data, last)
        await RisingEdge(self.dut.clk)
        self.ok = self.err = 0
        if init:
            self.crc = 0xFFFF
        elif valid:
            nxt = crc_update(self.crc, data)
            if last:
                self.ok, self.err = int(nxt == RESIDUE), int(nxt != RESIDUE)
                self.crc = 0xFFFF
            else:
                self.crc = nxt
        await FallingEdge(self.dut.clk)
        self.check()

    async def frame(self, data, use_last=True, gap=0.0, rng=None):
        for i, b in enumerate(data):
            while rng is not None and rng.random() < gap:
                await self.cycle()
            await self.cycle(valid=1, data=b, last=int(use_last and i == len(data) - 1))


@cocotb.test()
async def test_known_answer_and_residue(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.frame(b"123456789", use_last=False)
    assert int(dut.crc.value) == 0x29B1 and int(dut.crc_out.value) == 0xD64E
    # continue with the check bytes: the residue appears on match
    await tb.frame([0xD6, 0x4E], use_last=False)
    assert int(dut.match.value) == 1
    await tb.cycle()                             # holds with valid low
    await tb.cycle(init=1, valid=1, data=0x55)   # init beats valid
    # good frame with last: frame_ok
    await tb.frame(with_fcs(b"123456789"))
    assert int(dut.frame_ok.value) == 1 and int(dut.frame_err.value) == 0
    await tb.cycle()
    # corrupted frame: frame_err
    bad = with_fcs(b"123456789")
    bad[3] ^= 0x10
    await tb.frame(bad)
    assert int(dut.frame_err.value) == 1


@cocotb.test()
async def test_random_frames(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(17)
    goods = bads = 0
    for n in range(40):
        msg = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12)))
        data = with_fcs(msg)
        if n % 3 == 2:
            kind = rng.randrange(3)
            if kind == 0:
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)   # bit error
            elif kind == 1:
                data = data[:-1]                                          # missing byte
            else:
                data[-1] ^= 0xFF                                          # wrong check value
        await tb.frame(data, gap=0.2, rng=rng)
        goods += tb.ok
        bads += tb.err
        if n % 7 == 0:
            await tb.cycle(init=1)
    assert goods >= 20 and bads >= 10
    # all-ones / all-zeros bytes
    await tb.frame(with_fcs(b"\xff\xff\x00\x00"))
    assert int(dut.frame_ok.value) == 1
    # reset mid-frame
    await tb.frame(b"\x12\x34", use_last=False)
    dut.rst_n.value = 0
    await Timer(2, unit="ns")
    assert int(dut.crc.value) == 0xFFFF
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    tb.crc, tb.ok, tb.err = 0xFFFF, 0, 0
    await FallingEdge(dut.clk)
    await tb.frame(with_fcs(b"ok"))
    assert int(dut.frame_ok.value) == 1
