"""Reference testbench for priority_encoder16: one-hot and dense request patterns in both directions."""

import random

import cocotb
from cocotb.triggers import Timer


def model(req, en, lsb_first):
    """Return (idx, grant, valid)."""
    if not en or req == 0:
        return 0, 0, 0
    if lsb_first:
        idx = (req & -req).bit_length() - 1
    else:
        idx = req.bit_length() - 1
    return idx, 1 << idx, 1


class TB:
    def __init__(self, dut):
        self.dut = dut

    async def apply(self, req, en=1, lsb_first=0):
        d = self.dut
        d.req.value = req
        d.en.value = en
        d.lsb_first.value = lsb_first
        await Timer(1, unit="ns")
        got = (int(d.idx.value), int(d.grant.value), int(d.valid.value))
        exp = model(req, en, lsb_first)
        assert got == exp, f"req={req:04x} en={en} lsb_first={lsb_first}: got {got} exp {exp}"


@cocotb.test()
async def test_single_and_prefix(dut):
    """Single-bit requests, plus requests with every lower / higher bit also set."""
    tb = TB(dut)
    for lsb in (0, 1):
        await tb.apply(0, 1, lsb)
        for i in range(16):
            await tb.apply(1 << i, 1, lsb)
            await tb.apply((1 << (i + 1)) - 1, 1, lsb)      # bits 0..i
            await tb.apply(0xFFFF & ~((1 << i) - 1), 1, lsb)  # bits i..15
            await tb.apply(0, 1, lsb)


@cocotb.test()
async def test_disable(dut):
    """en low masks every request."""
    tb = TB(dut)
    for req in (0xFFFF, 0x8000, 0x0001, 0x1234):
        for lsb in (0, 1):
            await tb.apply(req, 0, lsb)
            await tb.apply(req, 1, lsb)


@cocotb.test()
async def test_random(dut):
    """Random sparse and dense patterns."""
    tb = TB(dut)
    rng = random.Random(16)
    for _ in range(600):
        density = rng.choice((1, 2, 8))
        req = 0
        for _ in range(density):
            req |= 1 << rng.randrange(16)
        await tb.apply(req, int(rng.random() > 0.1), rng.randrange(2))
