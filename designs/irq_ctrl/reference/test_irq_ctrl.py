"""Reference testbench for irq_ctrl: edge latching, mask, priority vector, ack, W1C/SWSET, reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer

PENDING, MASK, VECTOR, SWSET = 0, 1, 2, 3


class Model:
    def __init__(self):
        self.reset()

    def reset(self):
        self.pending = 0
        self.mask = 0xFF
        self.irq_q = 0

    def active(self):
        return self.pending & ~self.mask & 0xFF

    def vector(self):
        a = self.active()
        return (a & -a).bit_length() - 1 if a else 0

    def rdata(self, addr):
        if addr == PENDING:
            return self.pending
        if addr == MASK:
            return self.mask
        if addr == VECTOR:
            return int(self.active() != 0) << 7 | self.vector()
        return 0

    def step(self, irq_in, we, addr, wdata, ack):
        rise = irq_in & ~self.irq_q & 0xFF
        sw_set = wdata if (we and addr == SWSET) else 0
        sw_clr = wdata if (we and addr == PENDING) else 0
        ack_clr = (1 << self.vector()) if (ack and self.active()) else 0
        self.pending = (self.pending & ~(sw_clr | ack_clr) & 0xFF) | rise | sw_set
        if we and addr == MASK:
            self.mask = wdata
        self.irq_q = irq_in


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.m = Model()
        self.irq_in = 0
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        d = self.dut
        d.irq_in.value = self.irq_in
        d.we.value = 0
        d.addr.value = 0
        d.wdata.value = 0
        d.ack.value = 0
        d.rst_n.value = 0
        await ClockCycles(d.clk, 2)
        d.rst_n.value = 1
        self.m.reset()
        await FallingEdge(d.clk)
        await self.check(0)

    async def check(self, addr):
        d, m = self.dut, self.m
        d.addr.value = addr
        await Timer(1, unit="ns")
        assert int(d.irq.value) == int(m.active() != 0), "irq"
        assert int(d.vector.value) == m.vector(), f"vector {int(d.vector.value)} != {m.vector()}"
        assert int(d.rdata.value) == m.rdata(addr), f"rdata[{addr}] {int(d.rdata.value):#x} != {m.rdata(addr):#x}"

    async def cycle(self, irq_in=None, we=0, addr=0, wdata=0, ack=0, raddr=None):
        d = self.dut
        if irq_in is not None:
            self.irq_in = irq_in
        d.irq_in.value = self.irq_in
        d.we.value = we
        d.addr.value = addr
        d.wdata.value = wdata
        d.ack.value = ack
        await Timer(1, unit="ns")
        assert int(d.rdata.value) == self.m.rdata(addr)
        await RisingEdge(d.clk)
        self.m.step(self.irq_in, we, addr, wdata, ack)
        await FallingEdge(d.clk)
        d.we.value = 0
        d.ack.value = 0
        await self.check(VECTOR if raddr is None else raddr)

    async def write(self, addr, data):
        await self.cycle(we=1, addr=addr, wdata=data)

    async def read(self, addr):
        await self.check(addr)
        return int(self.dut.rdata.value)


@cocotb.test()
async def test_priority_and_ack(dut):
    tb = TB(dut)
    await tb.reset()
    # edges latch even while masked; no irq until unmasked
    await tb.cycle(irq_in=0xFF)
    await tb.cycle(irq_in=0x00)
    assert await tb.read(PENDING) == 0xFF
    assert int(dut.irq.value) == 0
    await tb.write(MASK, 0x00)
    assert await tb.read(MASK) == 0x00
    # acknowledge in priority order 0..7
    for v in range(8):
        assert int(dut.irq.value) == 1 and int(dut.vector.value) == v
        await tb.cycle(ack=1)
    assert int(dut.irq.value) == 0
    await tb.cycle(ack=1)                      # ack with nothing pending is harmless
    # level held high does not re-trigger; a new edge does
    await tb.cycle(irq_in=0x10)
    await tb.cycle(ack=1)
    await tb.cycle()
    assert await tb.read(PENDING) == 0
    await tb.cycle(irq_in=0x00)
    await tb.cycle(irq_in=0x10)
    assert await tb.read(PENDING) == 0x10
    # edge on the acknowledged source in the same cycle: the new edge wins
    await tb.cycle(irq_in=0x00)
    await tb.cycle(irq_in=0x10, ack=1)
    assert await tb.read(PENDING) == 0x10
    # masking hides higher-priority sources from the vector
    await tb.write(SWSET, 0x81)
    await tb.write(MASK, 0x01)
    assert int(dut.vector.value) == 4
    await tb.write(MASK, 0x7F)
    assert int(dut.vector.value) == 7
    await tb.write(MASK, 0xFF)
    assert int(dut.irq.value) == 0
    await tb.write(MASK, 0x00)
    # W1C clears, SWSET sets, SWSET reads 0
    await tb.write(PENDING, 0xFF)
    assert await tb.read(PENDING) == 0
    assert await tb.read(SWSET) == 0
    for b in range(8):
        await tb.write(SWSET, 1 << b)
        assert int(dut.vector.value) == b
        await tb.write(PENDING, 1 << b)
    # each source alone: edge, then acknowledge
    for b in range(8):
        await tb.cycle(irq_in=1 << b, raddr=PENDING)
        await tb.cycle(irq_in=0, ack=1)
    for m in (0xFF, 0x00, 0xAA, 0x55, 0x00):
        await tb.write(MASK, m)


@cocotb.test()
async def test_random_and_reset(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(31)
    for _ in range(500):
        irq_in = tb.irq_in ^ (rng.randrange(256) if rng.random() < 0.3 else 0)
        we = int(rng.random() < 0.2)
        await tb.cycle(irq_in=irq_in, we=we, addr=rng.randrange(4), wdata=rng.randrange(256),
                       ack=int(rng.random() < 0.3), raddr=rng.randrange(4))
    # reset with pending interrupts and a source held high: after reset the high level counts as an edge
    await tb.cycle(irq_in=0x00)
    await tb.cycle(irq_in=0x21)
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 1)
    dut.rst_n.value = 1
    tb.m.reset()
    await FallingEdge(dut.clk)
    await tb.check(PENDING)
    await tb.cycle(raddr=PENDING)
    assert await tb.read(PENDING) == 0x21
