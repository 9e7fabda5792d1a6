"""Reference testbench for regblock: register map, W1C, lock/unlock magic, error responses, reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer

CTRL, STATUS, INTSTAT, INTEN, SCRATCH, ID, LOCK = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18
ID_VALUE = 0x52470107
UNLOCK = 0x01ACCE55


class Model:
    def __init__(self):
        self.reset()

    def reset(self):
        self.ctrl = 0
        self.int_stat = 0
        self.int_en = 0
        self.scratch = 0
        self.locked = 1
        self.resp = (0, 0, 0)

    def irq(self):
        return int(bool(self.int_stat & self.int_en))

    def read_value(self, addr, status):
        return {CTRL: self.ctrl, STATUS: status | self.locked << 8 | self.irq() << 9,
                INTSTAT: self.int_stat, INTEN: self.int_en, SCRATCH: self.scratch,
                ID: ID_VALUE, LOCK: self.locked}.get(addr)

    def step(self, valid, write, addr, wdata, status, events):
        mapped = addr in (CTRL, STATUS, INTSTAT, INTEN, SCRATCH, ID, LOCK)
        bad = (not mapped or (write and addr in (STATUS, ID))
               or (write and addr == CTRL and self.locked))
        rd = self.read_value(addr, status) if (valid and not write and not bad) else 0
        w1c = 0
        if valid and write and not bad:
            if addr == CTRL:
                self.ctrl = wdata & 0xFF
            elif addr == INTEN:
                self.int_en = wdata & 0xF
            elif addr == SCRATCH:
                self.scratch = wdata
            elif addr == LOCK:
                self.locked = int(wdata != UNLOCK)
            elif addr == INTSTAT:
                w1c = wdata & 0xF
        self.int_stat = (self.int_stat & ~w1c) | events
        self.resp = (valid, rd, int(bool(valid and bad)))


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.m = Model()
        self.status = 0
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def idle(self):
        d = self.dut
        d.valid.value = 0
        d.write.value = 0
        d.addr.value = 0
        d.wdata.value = 0
        d.event_i.value = 0

    async def reset(self):
        self.idle()
        self.dut.status_i.value = self.status
        self.dut.rst_n.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.m.reset()
        await FallingEdge(self.dut.clk)
        self.check()

    def check(self):
        d, m = self.dut, self.m
        v, rd, e = m.resp
        assert int(d.resp_valid.value) == v, "resp_valid"
        assert int(d.rdata.value) == rd, f"rdata {int(d.rdata.value):#010x} != {rd:#010x}"
        assert int(d.err.value) == e, "err"
        assert int(d.ctrl_o.value) == m.ctrl, "ctrl_o"
        assert int(d.locked_o.value) == m.locked, "locked_o"
        assert int(d.irq_o.value) == m.irq(), "irq_o"

    async def cycle(self, valid=0, write=0, addr=0, wdata=0, events=0, status=None):
        d = self.dut
        if status is not None:
            self.status = status
        d.valid.value = valid
        d.write.value = write
        d.addr.value = addr
        d.wdata.value = wdata
        d.event_i.value = events
        d.status_i.value = self.status
        await RisingEdge(d.clk)
        self.m.step(valid, write, addr, wdata, self.status, events)
        await FallingEdge(d.clk)
        self.idle()
        self.check()

    async def write(self, addr, wdata, **kw):
        await self.cycle(1, 1, addr, wdata, **kw)
        return int(self.dut.err.value)

    async def read(self, addr, **kw):
        await self.cycle(1, 0, addr, **kw)
        return int(self.dut.rdata.value), int(self.dut.err.value)


@cocotb.test()
async def test_register_map(dut):
    tb = TB(dut)
    await tb.reset()
    assert await tb.read(ID) == (ID_VALUE, 0)
    assert await tb.read(LOCK) == (1, 0)
    # CTRL is locked after reset: write refused with an error
    assert await tb.write(CTRL, 0xFF) == 1
    assert await tb.read(CTRL) == (0, 0)
    # near-miss unlock values keep it locked
    for bad in (UNLOCK ^ 1, UNLOCK ^ 0x80000000, 0, 0xFFFFFFFF):
        assert await tb.write(LOCK, bad) == 0
        assert await tb.write(CTRL, 0x5A) == 1
    # unlock, program CTRL both ways, re-lock
    assert await tb.write(LOCK, UNLOCK) == 0
    assert int(dut.locked_o.value) == 0
    assert await tb.read(LOCK) == (0, 0)
    for v in (0xFF, 0x00, 0xA5, 0x5A):
        assert await tb.write(CTRL, v) == 0
        assert await tb.read(CTRL) == (v, 0)
    assert await tb.write(LOCK, 0x12345678) == 0
    assert await tb.write(CTRL, 0x00) == 1
    assert int(dut.ctrl_o.value) == 0x5A
    # scratch: all ones / all zeros / patterns
    for v in (0xFFFFFFFF, 0x00000000, 0xA5A5A5A5, 0x5A5A5A5A, 0xFFFFFFFF, 0):
        assert await tb.write(SCRATCH, v) == 0
        assert await tb.read(SCRATCH) == (v, 0)
    # status mirrors status_i, locked and irq
    for s in (0xFF, 0x00, 0x3C):
        await tb.cycle(status=s)
        assert await tb.read(STATUS) == (s | 1 << 8, 0)
    # read-only registers: writes are errors and change nothing
    assert await tb.write(STATUS, 0xFFFFFFFF) == 1
    assert await tb.write(ID, 0) == 1
    assert await tb.read(ID) == (ID_VALUE, 0)
    # invalid and misaligned addresses, reads and writes
    for a in (0x01, 0x02, 0x03, 0x05, 0x1C, 0x20, 0x40, 0x80, 0xFF, 0xAA, 0x55):
        assert (await tb.read(a))[1] == 1
        assert await tb.write(a, 0xFFFFFFFF) == 1


@cocotb.test()
async def test_interrupts(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.cycle(events=0xF)
    assert await tb.read(INTSTAT) == (0xF, 0)
    assert int(dut.irq_o.value) == 0            # nothing enabled yet
    for en in range(16):
        await tb.write(INTEN, en)
    await tb.write(INTEN, 0xF)
    assert int(dut.irq_o.value) == 1
    assert (await tb.read(STATUS))[0] >> 9 & 1 == 1
    # W1C: clear bits one at a time
    for b in range(4):
        await tb.write(INTSTAT, 1 << b)
    assert await tb.read(INTSTAT) == (0, 0)
    # event and clear of the same bit in the same cycle: the event wins
    await tb.cycle(events=0x3)
    await tb.write(INTSTAT, 0x3, events=0x1)
    assert await tb.read(INTSTAT) == (0x1, 0)
    # each event alone with only its enable set
    await tb.write(INTSTAT, 0xF)
    for b in range(4):
        await tb.write(INTEN, 1 << b)
        await tb.cycle(events=1 << b)
        assert int(dut.irq_o.value) == 1
        await tb.write(INTSTAT, 0xF)
        assert int(dut.irq_o.value) == 0
    # an error write to INT_STAT's neighbour must not clear anything
    await tb.cycle(events=0xF)
    assert await tb.write(0x09, 0xF) == 1
    assert await tb.read(INTSTAT) == (0xF, 0)


@cocotb.test()
async def test_random_and_reset(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(17)
    addrs = [CTRL, STATUS, INTSTAT, INTEN, SCRATCH, ID, LOCK]
    for n in range(400):
        a = rng.choice(addrs) if rng.random() < 0.85 else rng.randrange(256)
        if a == LOCK and rng.random() < 0.5:
            wd = UNLOCK
        else:
            wd = rng.getrandbits(32)
        await tb.cycle(int(rng.random() < 0.8), rng.randrange(2), a, wd,
                       events=rng.randrange(16) if rng.random() < 0.2 else 0,
                       status=rng.randrange(256))
    # reset with everything set up
    await tb.write(LOCK, UNLOCK)
    await tb.write(CTRL, 0xC3)
    await tb.write(INTEN, 0xF)
    await tb.cycle(events=0x5)
    await tb.read(SCRATCH)
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 1)
    dut.rst_n.value = 1
    tb.m.reset()
    await FallingEdge(dut.clk)
    tb.check()
    assert await tb.read(LOCK) == (1, 0)
