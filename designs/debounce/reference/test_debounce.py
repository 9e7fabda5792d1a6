"""Reference testbench for debounce: 1500-cycle qualification, rise/fall, glitch counting and saturation."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer

STABLE = 1500
GL_MAX = 255


class Model:
    def __init__(self):
        self.sync = [0, 0]
        self.cnt = 0
        self.out = 0
        self.rise = self.fall = 0
        self.glitches = 0

    def step(self, btn_in, glitch_clr):
        s = self.sync[1]
        differs = s != self.out
        glitch = (not differs) and self.cnt != 0
        self.rise = self.fall = 0
        if differs:
            if self.cnt == STABLE - 1:
                self.out, self.rise, self.fall, self.cnt = s, s, 1 - s, 0
            else:
                self.cnt += 1
        else:
            self.cnt = 0
        if glitch_clr:
            self.glitches = int(glitch)
        elif glitch and self.glitches != GL_MAX:
            self.glitches += 1
        self.sync = [btn_in, self.sync[0]]


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.model = Model()
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        self.dut.rst_n.value = 0
        self.dut.btn_in.value = 0
        self.dut.glitch_clr.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.model = Model()
        await FallingEdge(self.dut.clk)

    def check(self):
        d, m = self.dut, self.model
        assert int(d.btn_out.value) == m.out, "btn_out mismatch"
        assert int(d.rise.value) == m.rise, "rise mismatch"
        assert int(d.fall.value) == m.fall, "fall mismatch"
        assert int(d.glitch_cnt.value) == m.glitches, f"glitch_cnt {int(d.glitch_cnt.value)} != {m.glitches}"
        assert int(d.busy.value) == int(m.cnt != 0), "busy mismatch"

    async def cycle(self, btn=0, clr=0):
        self.dut.btn_in.value = btn
        self.dut.glitch_clr.value = clr
        await RisingEdge(self.dut.clk)
        self.model.step(btn, clr)
        await FallingEdge(self.dut.clk)
        self.check()

    async def hold(self, btn, n):
        for _ in range(n):
            await self.cycle(btn)


@cocotb.test()
async def test_press_and_release(dut):
    tb = TB(dut)
    await tb.reset()
    # a press: output follows STABLE+2 edges after the step
    await tb.hold(1, STABLE + 1)
    assert int(dut.btn_out.value) == 0
    await tb.cycle(1)
    assert int(dut.btn_out.value) == 1 and int(dut.rise.value) == 1
    await tb.hold(1, 5)
    # bounce on release: short returns to 1 are glitches
    for width in (3, 10, 50):
        await tb.hold(0, width)
        await tb.hold(1, 4)
    assert tb.model.glitches == 3
    # a transition abandoned one cycle before acceptance is still a glitch
    # (the input must be held for STABLE cycles; the synchroniser only delays it)
    await tb.hold(0, STABLE - 1)
    assert tb.model.cnt == STABLE - 3 and int(dut.busy.value) == 1   # two edges still in the synchroniser
    await tb.hold(1, 4)
    assert int(dut.btn_out.value) == 1 and tb.model.glitches == 4
    # clean release
    await tb.hold(0, STABLE + 2)
    assert int(dut.btn_out.value) == 0 and int(dut.fall.value) == 1
    await tb.hold(0, 3)
    await tb.cycle(0, clr=1)
    assert int(dut.glitch_cnt.value) == 0


@cocotb.test()
async def test_glitch_saturation(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(4)
    # bursts of bounces: each short high pulse is an abandoned transition
    while tb.model.glitches < GL_MAX:
        await tb.hold(1, rng.randrange(1, 4))
        await tb.hold(0, rng.randrange(1, 3))
    await tb.hold(0, 2)
    for _ in range(5):                              # saturated: stays at 255
        await tb.hold(1, 2)
        await tb.hold(0, 2)
    assert int(dut.glitch_cnt.value) == GL_MAX
    # clear on the same edge as a glitch: count restarts at 1
    await tb.hold(1, 2)
    while not (tb.model.sync[1] == 0 and tb.model.cnt != 0):
        await tb.cycle(0)
    await tb.cycle(0, clr=1)
    assert int(dut.glitch_cnt.value) == 1
    await tb.cycle(0, clr=1)
    # reset mid-qualification
    await tb.hold(1, 20)
    dut.rst_n.value = 0
    await Timer(2, unit="ns")
    assert int(dut.busy.value) == 0 and int(dut.glitch_cnt.value) == 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    tb.model = Model()
    await FallingEdge(dut.clk)
    await tb.hold(0, 4)
