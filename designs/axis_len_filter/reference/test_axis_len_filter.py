"""Reference testbench for axis_len_filter: runts, good, exact-MAX_LEN and truncated frames, back-pressure, reset.

Frames go in through cocotbext-axi's AxiStreamSource and come out through its AxiStreamSink; a model
says what each frame becomes (forwarded whole, or cut to MAX_LEN beats) and what the counters read.
"""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

MIN_LEN, MAX_LEN = 4, 100


class Model:
    def __init__(self):
        self.last_len = self.good = self.runt = self.trunc = self.max = 0

    def frame(self, data):
        """The frame the filter forwards, counting it."""
        n = len(data)
        self.last_len = min(n, 255)
        if n < MIN_LEN:
            self.runt = (self.runt + 1) % 16
        elif n > MAX_LEN:
            self.trunc = (self.trunc + 1) % 16
            return data[:MAX_LEN]
        else:
            self.good = (self.good + 1) % 256
            if n == MAX_LEN:
                self.max = (self.max + 1) % 16
        return data


class TB:
    def __init__(self, dut):
        self.dut = dut
        cocotb.start_soon(Clock(dut.aclk, 10, unit="ns").start())
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.aclk, dut.aresetn,
                                      reset_active_level=False, byte_lanes=1)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.aclk, dut.aresetn,
                                  reset_active_level=False, byte_lanes=1)
        self.model = Model()
        self.expected = []

    async def reset(self):
        self.dut.aresetn.value = 0
        await ClockCycles(self.dut.aclk, 2)
        self.dut.aresetn.value = 1
        await RisingEdge(self.dut.aclk)
        self.model = Model()
        self.expected.clear()

    async def send(self, data):
        await self.source.send(AxiStreamFrame(list(data)))
        self.expected.append(list(self.model.frame(list(data))))

    async def check(self):
        """Every frame arrives as the model says, then the counters match."""
        for want in self.expected:
            got = await self.sink.recv()
            assert list(got.tdata) == want, f"frame of {len(got.tdata)} beats, expected {len(want)}"
        self.expected.clear()
        await self.source.wait()
        await ClockCycles(self.dut.aclk, 3)
        d, m = self.dut, self.model
        got = tuple(int(s.value) for s in (d.last_len, d.good_cnt, d.runt_cnt, d.trunc_cnt, d.max_cnt))
        assert got == (m.last_len, m.good, m.runt, m.trunc, m.max), f"counters {got}"


def pattern(rng, duty):
    while True:
        yield rng.random() < duty


def payload(rng, n):
    return [rng.getrandbits(8) for _ in range(n)]


@cocotb.test()
async def test_lengths_at_the_bounds(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(1)
    for n in (1, 2, MIN_LEN - 1, MIN_LEN, MIN_LEN + 1, 50, MAX_LEN - 1, MAX_LEN, MAX_LEN + 1, 200, 300):
        await tb.send(payload(rng, n))
    await tb.send([0xFF] * 8)
    await tb.send([0x00] * 8)
    await tb.check()


@cocotb.test()
async def test_counters_wrap_under_backpressure(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(2)
    tb.source.set_pause_generator(pattern(rng, 0.3))
    tb.sink.set_pause_generator(pattern(rng, 0.5))
    for _ in range(17):
        await tb.send(payload(rng, rng.randrange(1, MIN_LEN)))
        await tb.send(payload(rng, MAX_LEN))
    for _ in range(17):
        await tb.send(payload(rng, MAX_LEN + 1 + rng.randrange(3)))
    await tb.check()
    tb.source.clear_pause_generator()
    tb.sink.clear_pause_generator()
    for _ in range(240):
        await tb.send(payload(rng, MIN_LEN + rng.randrange(4)))
    await tb.check()
    assert int(dut.good_cnt.value) == (17 + 240) % 256


@cocotb.test()
async def test_reset_mid_frame(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(3)
    tb.sink.pause = True
    await tb.source.send(AxiStreamFrame(payload(rng, 120)))
    await ClockCycles(dut.aclk, 20)
    await tb.reset()
    tb.source.clear()
    tb.sink.clear()
    tb.sink.pause = False
    await ClockCycles(dut.aclk, 2)
    assert int(dut.m_axis_tvalid.value) == 0 and int(dut.good_cnt.value) == 0
    await tb.send(payload(rng, 10))
    await tb.check()
