"""Reference testbench for prescaler_timer: register access, prescaling, auto-reload, one-shot, W1C flag."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer

CTRL, CMP, CNT, STATUS = range(4)


def ctrl(en=0, oneshot=0, ie=0, psc=0):
    return (psc << 8) | (ie << 2) | (oneshot << 1) | en


class Model:
    """Cycle model of the timer."""

    def __init__(self):
        self.en = self.oneshot = self.ie = self.psc = 0
        self.cmp = self.cnt = self.match = self.psc_cnt = 0

    def tick(self):
        return int(self.en and self.psc_cnt == self.psc)

    def read(self, addr):
        return [(self.psc << 8) | (self.ie << 2) | (self.oneshot << 1) | self.en,
                self.cmp, self.cnt, self.match][addr]

    def step(self, we, addr, wdata):
        tick = self.tick()
        hit = tick and self.cnt == self.cmp
        wr = [we and addr == a for a in range(4)]
        en_before = self.en
        if wr[CTRL]:
            self.en, self.oneshot, self.ie, self.psc = wdata & 1, (wdata >> 1) & 1, (wdata >> 2) & 1, wdata >> 8
        elif hit and self.oneshot:
            self.en = 0
        if wr[CMP]:
            self.cmp = wdata
        self.psc_cnt = 0 if (wr[CNT] or not en_before or tick) else self.psc_cnt + 1
        if wr[CNT]:
            self.cnt = wdata
        elif hit:
            self.cnt = 0
        elif tick:
            self.cnt = (self.cnt + 1) & 0xFFFF
        if hit:
            self.match = 1
        elif wr[STATUS] and (wdata & 1):
            self.match = 0


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.model = Model()
        self.hits = 0
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def drive(self, we=0, addr=0, wdata=0):
        self.dut.we.value = we
        self.dut.addr.value = addr
        self.dut.wdata.value = wdata

    async def reset(self):
        self.dut.rst_n.value = 0
        self.drive()
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.model = Model()
        await FallingEdge(self.dut.clk)

    async def cycle(self, we=0, addr=0, wdata=0):
        d, m = self.dut, self.model
        self.drive(we, addr, wdata)
        await Timer(1, unit="ns")
        assert int(d.rdata.value) == m.read(addr), f"rdata[{addr}] {int(d.rdata.value):#x} != {m.read(addr):#x}"
        assert int(d.irq.value) == int(m.match and m.ie), "irq mismatch"
        assert int(d.tick.value) == m.tick(), "tick mismatch"
        if m.tick() and m.cnt == m.cmp:
            self.hits += 1
        await RisingEdge(d.clk)
        m.step(we, addr, wdata)
        await FallingEdge(d.clk)

    async def write(self, addr, wdata):
        await self.cycle(1, addr, wdata)

    async def run(self, n, addr=CNT):
        for _ in range(n):
            await self.cycle(0, addr)


@cocotb.test()
async def test_autoreload_and_w1c(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.write(CMP, 4)
    await tb.write(CTRL, ctrl(en=1, ie=1, psc=2))
    await tb.run(16)                             # 15 cycles to the first match
    assert tb.model.match == 1 and int(dut.irq.value) == 1
    await tb.write(STATUS, 0)                    # writing 0 does not clear
    assert tb.model.match == 1
    await tb.write(STATUS, 1)                    # W1C
    assert tb.model.match == 0 and int(dut.irq.value) == 0
    await tb.run(14, STATUS)
    hits0 = tb.hits
    # clear on the same edge as a match: the match wins
    while not (tb.model.tick() and tb.model.cnt == tb.model.cmp):
        await tb.cycle(0, STATUS)
    await tb.write(STATUS, 1)
    assert tb.model.match == 1 and tb.hits == hits0 + 1
    await tb.write(CTRL, ctrl(en=1, ie=0, psc=2))  # IE off masks irq
    assert int(dut.irq.value) == 0
    await tb.write(STATUS, 0xFFFF)
    # slowest prescaler: divider walks all 8 bits
    await tb.write(CMP, 1)
    await tb.write(CTRL, ctrl(en=1, ie=1, psc=255))
    await tb.run(520, CTRL)
    assert tb.model.match == 1
    await tb.write(CTRL, 0)


@cocotb.test()
async def test_oneshot_and_collisions(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.write(CMP, 3)
    await tb.write(CTRL, ctrl(en=1, oneshot=1, ie=1, psc=0))
    await tb.run(6, CTRL)
    assert tb.model.en == 0 and tb.model.match == 1   # stopped itself
    await tb.run(3)
    await tb.write(STATUS, 1)
    # CTRL write on the auto-disable edge: the write wins
    await tb.write(CTRL, ctrl(en=1, oneshot=1, psc=1))
    while not (tb.model.tick() and tb.model.cnt == tb.model.cmp):
        await tb.cycle(0, CTRL)
    await tb.write(CTRL, ctrl(en=1, oneshot=1, psc=1))
    assert tb.model.en == 1
    # CNT write on a counter-step edge (not a match): write wins
    await tb.write(CMP, 100)
    while not tb.model.tick():
        await tb.cycle(0, CNT)
    await tb.write(CNT, 50)
    assert tb.model.cnt == 50
    # counter wraps 0xFFFF -> 0 when CMP is below the count
    await tb.write(CTRL, ctrl(en=1, psc=0))
    await tb.write(CMP, 2)
    await tb.write(CNT, 0xFFFE)
    await tb.run(8)
    # full-range register values so every bit toggles both ways
    for v in (0xFFFF, 0x0000, 0xAAAA, 0x5555, 0x0000):
        await tb.write(CMP, v)
        await tb.cycle(0, CMP)
        await tb.write(CNT, v)
        await tb.cycle(0, CNT)
    await tb.write(CTRL, 0xFFFF)
    await tb.cycle(0, CTRL)
    await tb.write(CTRL, 0x0000)
    # random register traffic on a fast-running timer
    await tb.write(CTRL, ctrl(en=1, ie=1, psc=1))
    rng = random.Random(5)
    for _ in range(400):
        if rng.random() < 0.1:
            addr = rng.randrange(4)
            val = rng.randrange(1 << 16)
            if addr == CTRL:
                val = (val & 0xFF06) | 1 if rng.random() < 0.8 else val
            elif addr in (CMP, CNT):
                val &= 0x000F
            await tb.write(addr, val)
        else:
            await tb.cycle(0, rng.randrange(4))
    # reset mid-run
    dut.rst_n.value = 0
    await Timer(2, unit="ns")
    assert int(dut.irq.value) == 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    tb.model = Model()
    await FallingEdge(dut.clk)
    await tb.run(3, CTRL)
