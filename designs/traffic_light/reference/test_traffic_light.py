"""Reference testbench for traffic_light: full timed cycle with a walk phase, emergency preemption from
every phase kind, pedestrian latch rules and reset. Every cycle is checked against a phase model."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

NS_G, NS_Y, AR_NS, EW_G, EW_Y, AR_EW, WALK, EMERG = range(8)
DUR = {NS_G: 1200, NS_Y: 100, AR_NS: 20, EW_G: 600, EW_Y: 100, AR_EW: 20, WALK: 300}


class Model:
    def __init__(self):
        self.reset()

    def reset(self):
        self.state, self.left, self.ped = NS_G, DUR[NS_G], 0

    def go(self, s):
        self.state, self.left = s, DUR.get(s, 0)

    def step(self, ped_req, emerg):
        s = self.state
        if ped_req and s != WALK:
            self.ped = 1
        self.left = max(self.left - 1, 0)
        done = self.left == 0
        if s in (NS_G, EW_G):
            if emerg or done:
                self.go(s + 1)
        elif s in (NS_Y, EW_Y):
            if done:
                self.go(s + 1)
        elif s == AR_NS:
            if done:
                self.go(EMERG if emerg else EW_G)
        elif s == AR_EW:
            if done:
                if emerg:
                    self.go(EMERG)
                elif self.ped:
                    self.ped = 0
                    self.go(WALK)
                else:
                    self.go(NS_G)
        elif s == WALK:
            if emerg:
                self.go(AR_EW)
            elif done:
                self.go(NS_G)
        elif not emerg:
            self.go(AR_EW)


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.m = Model()
        self.trace = []
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        d = self.dut
        d.rst_n.value = 0
        d.ped_req.value = 0
        d.emerg.value = 0
        await ClockCycles(d.clk, 2)
        d.rst_n.value = 1
        self.m.reset()
        await FallingEdge(d.clk)
        self.check()

    def check(self):
        d, s = self.dut, self.m.state
        assert int(d.phase.value) == s, f"phase {int(d.phase.value)} != {s}"
        lamps = (int(d.ns_red.value), int(d.ns_yellow.value), int(d.ns_green.value),
                 int(d.ew_red.value), int(d.ew_yellow.value), int(d.ew_green.value))
        ns = {NS_G: (0, 0, 1), NS_Y: (0, 1, 0)}.get(s, (1, 0, 0))
        ew = {EW_G: (0, 0, 1), EW_Y: (0, 1, 0)}.get(s, (1, 0, 0))
        assert lamps == ns + ew, f"lamps {lamps} in phase {s}"
        assert int(d.walk.value) == int(s == WALK), "walk"
        assert int(d.emerg_hold.value) == int(s == EMERG), "emerg_hold"
        assert int(d.ped_wait.value) == self.m.ped, "ped_wait"

    async def run(self, cycles, ped_req=0, emerg=0):
        d = self.dut
        for _ in range(cycles):
            d.ped_req.value = ped_req
            d.emerg.value = emerg
            await RisingEdge(d.clk)
            self.m.step(ped_req, emerg)
            await FallingEdge(d.clk)
            self.check()
            ped_req = 0 if ped_req == 1 else ped_req

    async def until(self, phase, emerg=0, limit=3000):
        n = 0
        while self.m.state != phase:
            await self.run(1, emerg=emerg)
            n += 1
            assert n < limit, f"phase {phase} not reached"
        return n


@cocotb.test()
async def test_normal_cycle(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.run(5, ped_req=1)               # press once: latched
    assert tb.m.ped == 1
    assert await tb.until(NS_Y) == 1200 - 5
    assert await tb.until(AR_NS) == 100
    assert await tb.until(EW_G) == 20
    assert await tb.until(EW_Y) == 600
    await tb.until(AR_EW)
    assert await tb.until(WALK) == 20
    assert tb.m.ped == 0
    await tb.run(10, ped_req=1)              # presses during WALK are ignored
    assert tb.m.ped == 0
    assert await tb.until(NS_G) == 290
    await tb.run(3, ped_req=1)
    assert tb.m.ped == 1


@cocotb.test()
async def test_emergency(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.run(50)
    # emergency in NS green, held through yellow and clearance into the hold
    await tb.run(1, emerg=1)
    assert tb.m.state == NS_Y
    await tb.run(125, emerg=1)
    assert tb.m.state == EMERG
    await tb.run(1, emerg=0)
    assert tb.m.state == AR_EW
    await tb.until(NS_G)
    # short emergency pulse in NS green: cut to yellow, then normal EW green
    await tb.run(30)
    await tb.run(2, emerg=1)
    await tb.until(EW_G)
    await tb.run(40)
    # emergency in EW green with a pedestrian waiting; walk follows the hold
    await tb.run(10, ped_req=1, emerg=1)
    await tb.until(EMERG, emerg=1)
    await tb.run(7, emerg=1)
    await tb.until(WALK)
    await tb.run(25)
    # emergency during WALK: clearance, hold, then NS green (no request left)
    await tb.run(40, emerg=1)
    assert tb.m.state == EMERG
    await tb.until(NS_G)
    # emergency during WALK that ends within the clearance
    await tb.run(3, emerg=1)
    await tb.until(EW_Y)
    await tb.run(1, ped_req=1)
    await tb.until(WALK)
    await tb.run(4)
    await tb.run(1, emerg=1)
    assert tb.m.state == AR_EW
    await tb.until(NS_G)


@cocotb.test()
async def test_random_and_reset(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(21)
    for _ in range(60):
        await tb.run(rng.randint(1, 12), ped_req=int(rng.random() < 0.3), emerg=int(rng.random() < 0.4))
    await tb.run(1)
    dut.rst_n.value = 0
    await FallingEdge(dut.clk)
    tb.m.reset()
    tb.m.ped = 0
    tb.check()
    await tb.reset()
    await tb.run(5)
