"""Reference testbench for lzc32: every leading-one position, with and without trailing ones, plus random."""

import random

import cocotb
from cocotb.triggers import Timer


def model(data):
    return 32 - data.bit_length()


class TB:
    def __init__(self, dut):
        self.dut = dut

    async def apply(self, data):
        self.dut.data.value = data
        await Timer(1, unit="ns")
        cnt = int(self.dut.count.value)
        az = int(self.dut.all_zero.value)
        assert cnt == model(data), f"data={data:08x}: count {cnt} != {model(data)}"
        assert az == int(data == 0), f"data={data:08x}: all_zero {az}"


@cocotb.test()
async def test_positions(dut):
    """Leading one at each position; below it all zeros, all ones, or random bits."""
    tb = TB(dut)
    rng = random.Random(32)
    await tb.apply(0)
    for pos in range(32):
        top = 1 << pos
        await tb.apply(top)
        await tb.apply(top | (top - 1))
        await tb.apply(top | rng.randrange(top) if pos else top)
        await tb.apply(0)
    await tb.apply(0xFFFFFFFF)
    await tb.apply(0)


@cocotb.test()
async def test_random(dut):
    """Random words with a random number of leading zeros."""
    tb = TB(dut)
    rng = random.Random(0x1C32)
    for _ in range(800):
        width = rng.randrange(33)
        await tb.apply(rng.getrandbits(width) if width else 0)
