"""Reference testbench for handshake_ctrl: normal handshakes, both timeouts, error clear, reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

IDLE, WAIT_H, WAIT_L, ERR = range(4)


class Model:
    def __init__(self):
        self.reset()

    def reset(self):
        self.state = IDLE
        self.req = 0
        self.data = 0
        self.done = 0
        self.err_phase = 0
        self.waited = 0

    def step(self, start, data_in, ack, err_clr):
        self.done = 0
        if self.state == IDLE:
            self.waited = 0
            if start:
                self.data, self.req, self.state = data_in, 1, WAIT_H
        elif self.state == WAIT_H:
            self.waited += 1
            if ack:
                self.req, self.state, self.waited = 0, WAIT_L, 0
            elif self.waited == 32:
                self.req, self.err_phase, self.state = 0, 0, ERR
        elif self.state == WAIT_L:
            self.waited += 1
            if not ack:
                self.done, self.state = 1, IDLE
            elif self.waited == 32:
                self.err_phase, self.state = 1, ERR
        elif err_clr:
            self.state = IDLE


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.m = Model()
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        d = self.dut
        d.rst_n.value = 0
        d.start.value = 0
        d.data_in.value = 0
        d.ack.value = 0
        d.err_clr.value = 0
        await ClockCycles(d.clk, 2)
        d.rst_n.value = 1
        self.m.reset()
        await FallingEdge(d.clk)
        self.check()

    def check(self):
        d, m = self.dut, self.m
        assert int(d.req.value) == m.req, "req"
        assert int(d.data_out.value) == m.data, "data_out"
        assert int(d.busy.value) == int(m.state in (WAIT_H, WAIT_L)), "busy"
        assert int(d.done.value) == m.done, "done"
        assert int(d.error.value) == int(m.state == ERR), "error"
        assert int(d.err_phase.value) == m.err_phase, "err_phase"

    async def cycle(self, start=0, data_in=0, ack=0, err_clr=0):
        d = self.dut
        d.start.value = start
        d.data_in.value = data_in
        d.ack.value = ack
        d.err_clr.value = err_clr
        await RisingEdge(d.clk)
        self.m.step(start, data_in, ack, err_clr)
        await FallingEdge(d.clk)
        self.check()

    async def transfer(self, data, rise_delay, fall_delay):
        """Start a transfer; the peer answers after the given delays (in cycles)."""
        await self.cycle(start=1, data_in=data)
        for _ in range(rise_delay):
            await self.cycle(ack=0)
        await self.cycle(ack=1)
        for _ in range(fall_delay):
            await self.cycle(ack=1)
        await self.cycle(ack=0)


@cocotb.test()
async def test_handshakes(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.transfer(0xA5, 0, 0)
    assert tb.m.done == 1
    await tb.transfer(0x5A, 3, 2)
    await tb.cycle()
    await tb.transfer(0xFF, 31, 31)       # slowest legal peer: exactly at the limit
    assert tb.m.done == 1 and tb.m.state == IDLE
    await tb.transfer(0x00, 1, 0)
    # start while busy is ignored
    await tb.cycle(start=1, data_in=0x33)
    await tb.cycle(start=1, data_in=0xCC)
    await tb.cycle(ack=1)
    await tb.cycle(ack=0)
    assert tb.m.data == 0x33


@cocotb.test()
async def test_timeouts(dut):
    tb = TB(dut)
    await tb.reset()
    # peer never raises ack
    await tb.cycle(start=1, data_in=0x81)
    for _ in range(34):
        await tb.cycle(ack=0)
    assert tb.m.state == ERR and tb.m.err_phase == 0
    await tb.cycle(start=1, ack=1)          # ignored in error
    await tb.cycle(err_clr=1)
    assert tb.m.state == IDLE
    # peer never drops ack
    await tb.cycle(start=1, data_in=0x7E)
    await tb.cycle(ack=1)
    for _ in range(33):
        await tb.cycle(ack=1)
    assert tb.m.state == ERR and tb.m.err_phase == 1
    await tb.cycle(err_clr=0)
    await tb.cycle(err_clr=1)
    await tb.transfer(0x42, 2, 2)
    # random peer
    rng = random.Random(3)
    for _ in range(600):
        await tb.cycle(start=int(rng.random() < 0.3), data_in=rng.randint(0, 255),
                       ack=int(rng.random() < 0.5), err_clr=int(rng.random() < 0.1))
    # reset in the middle of a transfer
    await tb.cycle(start=1, data_in=0x99)
    await tb.reset()
    await tb.transfer(0x18, 0, 1)
