"""Reference testbench for lfsr16: sequence vs a Python model, seeding, lock-up flag, reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer

POLY = 0xB400
RESET_SEED = 0xACE1


def lfsr_step(s):
    out = s & 1
    s >>= 1
    return s ^ POLY if out else s


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.state = RESET_SEED
        self.lockup = 0
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        self.dut.rst_n.value = 0
        self.dut.en.value = 0
        self.dut.load.value = 0
        self.dut.seed.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.state, self.lockup = RESET_SEED, 0
        await FallingEdge(self.dut.clk)
        self.check()

    def check(self):
        d = self.dut
        assert int(d.state.value) == self.state, f"state {int(d.state.value):#06x} != {self.state:#06x}"
        assert int(d.out_bit.value) == self.state & 1, "out_bit mismatch"
        assert int(d.lockup.value) == self.lockup, "lockup mismatch"

    async def cycle(self, en=0, load=0, seed=0):
        d = self.dut
        d.en.value, d.load.value, d.seed.value = en, load, seed
        await RisingEdge(d.clk)
        if load:
            self.state, self.lockup = seed, int(seed == 0)
        elif en:
            self.state = lfsr_step(self.state)
        await FallingEdge(d.clk)
        self.check()


@cocotb.test()
async def test_sequence(dut):
    tb = TB(dut)
    await tb.reset()
    for _ in range(100):
        await tb.cycle(en=1)
    await tb.cycle(en=0)                       # hold
    await tb.cycle(en=1, load=1, seed=0xFFFF)  # load beats en
    for _ in range(40):
        await tb.cycle(en=1)
    # a known-answer check independent of the model: period of a short stretch from seed 1
    await tb.cycle(load=1, seed=0x0001)
    await tb.cycle(en=1)
    assert int(dut.state.value) == POLY        # 1 -> 0 ^ POLY
    rng = random.Random(21)
    for _ in range(300):
        await tb.cycle(en=int(rng.random() < 0.8), load=int(rng.random() < 0.03), seed=rng.randrange(1, 1 << 16))


@cocotb.test()
async def test_lockup(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.cycle(en=1)
    await tb.cycle(load=1, seed=0x0000)        # zero seed: lock-up
    assert int(dut.lockup.value) == 1
    for _ in range(10):
        await tb.cycle(en=1)                   # stuck at zero
    assert int(dut.state.value) == 0
    await tb.cycle(load=1, seed=0x0000)        # still locked
    await tb.cycle(load=1, seed=0x8000)        # non-zero seed recovers
    assert int(dut.lockup.value) == 0
    for _ in range(20):
        await tb.cycle(en=1)
    await tb.cycle(load=1, seed=0)
    # reset clears the lock-up
    dut.rst_n.value = 0
    await Timer(2, unit="ns")
    assert int(dut.lockup.value) == 0 and int(dut.state.value) == RESET_SEED
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    tb.state, tb.lockup = RESET_SEED, 0
    await FallingEdge(dut.clk)
    for _ in range(5):
        await tb.cycle(en=1)
