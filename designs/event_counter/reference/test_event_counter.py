"""Reference testbench for event_counter: counting, threshold irq, saturation error, clamp, stall timeout."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer

LIMIT = 0xFFF0
IDLE_CYC = 1024


class Model:
    def __init__(self):
        self.ev_q = 0
        self.count = 0
        self.threshold = 0
        self.irq = self.sat_err = self.stall = 0
        self.idle = 0

    def step(self, event_in=0, clr=0, load=0, load_val=0, thresh_we=0, thresh_in=0, irq_clr=0, err_clr=0):
        ev = event_in and not self.ev_q
        at_limit = self.count == LIMIT
        counting = ev and not clr and not load
        reach = counting and not at_limit and self.count + 1 == self.threshold
        overflow = counting and at_limit
        if clr:
            self.count = 0
        elif load:
            self.count = min(load_val, LIMIT)
        elif ev and not at_limit:
            self.count += 1
        if thresh_we:
            self.threshold = thresh_in
        if reach:
            self.irq = 1
        elif irq_clr:
            self.irq = 0
        if overflow:
            self.sat_err = 1
        elif err_clr:
            self.sat_err = 0
        if ev:
            self.idle, self.stall = 0, 0
        elif self.idle == IDLE_CYC - 1:
            self.stall = 1
        else:
            self.idle += 1
        self.ev_q = event_in


class TB:
    INPUTS = ("event_in", "clr", "load", "load_val", "thresh_we", "thresh_in", "irq_clr", "err_clr")

    def __init__(self, dut):
        self.dut = dut
        self.model = Model()
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        self.dut.rst_n.value = 0
        for name in self.INPUTS:
            getattr(self.dut, name).value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.model = Model()
        await FallingEdge(self.dut.clk)

    def check(self):
        d, m = self.dut, self.model
        assert int(d.count.value) == m.count, f"count {int(d.count.value):#x} != {m.count:#x}"
        assert int(d.threshold.value) == m.threshold, "threshold mismatch"
        assert int(d.irq.value) == m.irq, "irq mismatch"
        assert int(d.sat_err.value) == m.sat_err, "sat_err mismatch"
        assert int(d.stall.value) == m.stall, "stall mismatch"

    async def cycle(self, check=True, **kw):
        for name in self.INPUTS:
            getattr(self.dut, name).value = kw.get(name, 0)
        await RisingEdge(self.dut.clk)
        self.model.step(**kw)
        await FallingEdge(self.dut.clk)
        if check:
            self.check()

    async def events(self, n, **kw):
        for _ in range(n):
            await self.cycle(event_in=1, **kw)
            await self.cycle(event_in=0)


@cocotb.test()
async def test_count_threshold_saturation(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.cycle(thresh_we=1, thresh_in=5)
    await tb.events(4)
    assert int(dut.irq.value) == 0
    await tb.cycle(event_in=1, irq_clr=1)        # 5th event reaches the threshold, beats the clear
    assert int(dut.count.value) == 5 and int(dut.irq.value) == 1
    await tb.cycle(event_in=1)                   # held high: counts once
    await tb.cycle(irq_clr=1)
    assert int(dut.irq.value) == 0
    await tb.cycle(load=1, load_val=4)           # preset onto threshold-1, then an event hits it
    await tb.events(1)
    assert int(dut.irq.value) == 1
    await tb.cycle(load=1, load_val=5, irq_clr=1)  # preset onto the threshold: no irq
    assert int(dut.irq.value) == 0
    # clear and load beat events (and suppress threshold hits)
    await tb.cycle(load=1, load_val=4)
    await tb.cycle(event_in=1, clr=1)
    await tb.cycle(event_in=0, load=1, load_val=4)
    await tb.cycle(event_in=1, load=1, load_val=4)
    assert int(dut.irq.value) == 0
    # saturation: load near the top, count into the limit, then overflow
    await tb.cycle(event_in=0, thresh_we=1, thresh_in=0xFFF1)   # above the limit: never reached
    await tb.cycle(load=1, load_val=0xFFEE)
    await tb.events(2)
    assert int(dut.count.value) == LIMIT and int(dut.sat_err.value) == 0
    await tb.cycle(event_in=1, err_clr=1)        # overflow beats the clear
    assert int(dut.count.value) == LIMIT and int(dut.sat_err.value) == 1 and int(dut.irq.value) == 0
    await tb.cycle(err_clr=1)
    assert int(dut.sat_err.value) == 0
    # preset above the limit is clamped
    for v in (0xFFFF, 0xFFF1, 0xFFF0, 0x0000):
        await tb.cycle(load=1, load_val=v)
        assert int(dut.count.value) == min(v, LIMIT)
    # full-range registers so every bit toggles
    for v in (0xFFFF, 0x0000, 0xAAAA, 0x5555, 0x0000):
        await tb.cycle(thresh_we=1, thresh_in=v, load=1, load_val=v)
    await tb.cycle(clr=1)
    # random traffic with a small threshold
    rng = random.Random(8)
    await tb.cycle(thresh_we=1, thresh_in=20)
    for _ in range(300):
        await tb.cycle(event_in=int(rng.random() < 0.5), clr=int(rng.random() < 0.02),
                       load=int(rng.random() < 0.02), load_val=rng.randrange(30),
                       irq_clr=int(rng.random() < 0.1), err_clr=int(rng.random() < 0.1))


@cocotb.test()
async def test_stall_timeout(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.events(3)
    for i in range(IDLE_CYC - 2):                 # no events: just short of the timeout
        await tb.cycle(check=(i % 100 == 0))
    tb.check()
    assert int(dut.stall.value) == 0
    await tb.cycle()
    assert int(dut.stall.value) == 1
    await tb.cycle()
    await tb.cycle(clr=1)                        # clear does not end a stall
    assert int(dut.stall.value) == 1
    await tb.events(1)                           # an event does
    assert int(dut.stall.value) == 0
    await tb.events(2)
    # reset mid-run
    dut.rst_n.value = 0
    await Timer(2, unit="ns")
    assert int(dut.count.value) == 0 and int(dut.stall.value) == 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    tb.model = Model()
    await FallingEdge(dut.clk)
    await tb.events(2)
