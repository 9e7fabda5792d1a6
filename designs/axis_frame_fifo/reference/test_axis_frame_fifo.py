"""Reference testbench for axis_frame_fifo: store-and-forward, bad and oversize frames, back-pressure, reset.

Frames go in through cocotbext-axi's AxiStreamSource and come out through its AxiStreamSink; a model
of the frame filter says which frames must come out, and in what order.
"""

import itertools
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

DEPTH = 16


class TB:
    def __init__(self, dut):
        self.dut = dut
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst_n,
                                      reset_active_level=False)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.clk, dut.rst_n,
                                  reset_active_level=False)
        self.expected = []  # frames the FIFO must forward, in order
        self.drops = {"bad": 0, "oversize": 0}
        cocotb.start_soon(self.count_drops())

    async def reset(self):
        self.dut.rst_n.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        await RisingEdge(self.dut.clk)
        self.expected.clear()
        self.drops = {"bad": 0, "oversize": 0}

    async def count_drops(self):
        while True:
            await RisingEdge(self.dut.clk)
            await FallingEdge(self.dut.clk)
            self.drops["bad"] += int(self.dut.drop_bad.value)
            self.drops["oversize"] += int(self.dut.drop_oversize.value)
            occupancy, frames = int(self.dut.occupancy.value), int(self.dut.frames.value)
            assert occupancy <= DEPTH and frames <= occupancy, f"occupancy {occupancy}, frames {frames}"

    async def send(self, data, bad=False):
        """Queue one frame; a good frame that fits is expected at the output."""
        frame = AxiStreamFrame(bytes(data), tuser=[0] * (len(data) - 1) + [int(bad)])
        await self.source.send(frame)
        if not bad and len(data) <= DEPTH:
            self.expected.append(bytes(data))

    async def check_all(self, bad=0, oversize=0):
        """Every expected frame arrives intact and in order; then the drop counts match."""
        for want in self.expected:
            got = await self.sink.recv()
            assert bytes(got.tdata) == want, f"frame {bytes(got.tdata).hex()} != {want.hex()}"
        self.expected.clear()
        await self.source.wait()
        await ClockCycles(self.dut.clk, 4)
        assert self.drops == {"bad": bad, "oversize": oversize}, self.drops
        assert int(self.dut.occupancy.value) == 0 and int(self.dut.frames.value) == 0
        self.drops = {"bad": 0, "oversize": 0}


def pattern(rng, duty):
    """Pause generator: paused with probability ``duty`` each cycle."""
    while True:
        yield rng.random() < duty


@cocotb.test()
async def test_frames_and_drops(dut):
    tb = TB(dut)
    await tb.reset()
    # single-beat, short, exactly-full and all-ones/zeros frames
    for data in (b"\x00", b"\xff", bytes(range(5)), bytes([0xA5] * DEPTH), bytes([0x5A] * DEPTH), bytes(3)):
        await tb.send(data)
    await tb.check_all()
    # a bad frame between good ones, and a bad single beat
    await tb.send(b"\x11\x22\x33")
    await tb.send(b"\x44\x55", bad=True)
    await tb.send(b"\x66", bad=True)
    await tb.send(b"\x77\x88")
    await tb.check_all(bad=2)
    # oversize frames: one beat over, and far over, each followed by a good frame
    await tb.send(bytes(range(DEPTH + 1)))
    await tb.send(b"\x99")
    await tb.send(bytes(rng_byte for rng_byte in itertools.islice(itertools.cycle((0xFF, 0x00)), 40)))
    await tb.send(b"\xaa\xbb")
    await tb.check_all(oversize=2)


@cocotb.test()
async def test_backpressure_fills_the_fifo(dut):
    tb = TB(dut)
    await tb.reset()
    # the sink stops: sixteen single-beat frames fill every entry, then a frame waits (tready low)
    tb.sink.pause = True
    for i in range(DEPTH):
        await tb.send(bytes([i * 17]))
    await ClockCycles(dut.clk, DEPTH + 4)
    assert int(dut.frames.value) == DEPTH and int(dut.occupancy.value) == DEPTH
    await tb.send(b"\x12\x34")
    await ClockCycles(dut.clk, 8)
    assert int(dut.s_axis_tready.value) == 0
    tb.sink.pause = False
    await tb.check_all()
    # a frame that fills the FIFO behind a waiting complete frame must wait, not be dropped
    tb.sink.pause = True
    await tb.send(b"\x01\x02\x03\x04")
    await tb.send(bytes(range(0xF0, 0xF0 + DEPTH - 4)) + b"\x0f\x0e\x0d")
    await ClockCycles(dut.clk, 30)
    tb.sink.pause = False
    await tb.check_all()


@cocotb.test()
async def test_random_traffic_and_reset(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(5)
    tb.source.set_pause_generator(pattern(rng, 0.3))
    tb.sink.set_pause_generator(pattern(rng, 0.5))
    bad = oversize = 0
    for _ in range(120):
        length = rng.choice([1, 2, 3, 7, DEPTH - 1, DEPTH, DEPTH + 1, 25])
        is_bad = rng.random() < 0.15
        await tb.send(bytes(rng.getrandbits(8) for _ in range(length)), bad=is_bad)
        if length > DEPTH:
            oversize += 1
        elif is_bad:
            bad += 1
    await tb.check_all(bad=bad, oversize=oversize)
    tb.source.clear_pause_generator()
    tb.sink.clear_pause_generator()
    # reset in the middle of a stored frame: the FIFO comes back empty
    tb.sink.pause = True
    await tb.send(bytes(range(10)))
    await ClockCycles(dut.clk, 6)
    tb.expected.clear()
    await tb.reset()
    await ClockCycles(dut.clk, 2)
    assert int(dut.occupancy.value) == 0 and int(dut.m_axis_tvalid.value) == 0
    tb.sink.pause = False
    await tb.send(b"\xde\xad")
    await tb.check_all()
