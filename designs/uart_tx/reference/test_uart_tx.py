"""Reference testbench for uart_tx: exact line waveform for every divider, with and without parity."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge


def frame_bits(data, parity):
    bits = [0] + [(data >> i) & 1 for i in range(8)]
    if parity:
        bits.append(bin(data).count("1") & 1)
    return bits + [1]


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.rng = random.Random(6)
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        d = self.dut
        d.rst_n.value = 0
        d.div.value = 3
        d.parity_en.value = 0
        d.tx_start.value = 0
        d.tx_data.value = 0
        await ClockCycles(d.clk, 2)
        d.rst_n.value = 1
        await FallingEdge(d.clk)
        self.check_idle()

    def check_idle(self):
        assert int(self.dut.tx.value) == 1 and int(self.dut.busy.value) == 0

    async def send(self, data, div, parity, disturb=True):
        """Start a frame and check the line cycle by cycle until done."""
        d = self.dut
        d.tx_data.value = data
        d.div.value = div
        d.parity_en.value = parity
        d.tx_start.value = 1
        await FallingEdge(d.clk)
        expected = [b for b in frame_bits(data, parity) for _ in range(div + 1)]
        for i, level in enumerate(expected):
            assert int(d.tx.value) == level, f"tx at cycle {i} of frame {data:#04x} div {div}"
            assert int(d.busy.value) == 1, "busy"
            assert int(d.done.value) == 0, "done early"
            # inputs are captured at start: disturb them while busy
            if disturb:
                d.tx_start.value = self.rng.randint(0, 1)
                d.tx_data.value = self.rng.randint(0, 255)
                d.div.value = self.rng.randint(0, 15)
                d.parity_en.value = self.rng.randint(0, 1)
            else:
                d.tx_start.value = 0
            await FallingEdge(d.clk)
        assert int(d.done.value) == 1, "done pulse"
        self.check_idle()
        d.tx_start.value = 0


@cocotb.test()
async def test_frames(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.send(0x55, 3, 0)
    await tb.send(0xA5, 3, 1)
    # every divider, alternating parity and data patterns
    for div in range(16):
        await tb.send([0x00, 0xFF, 0x81, 0x7E][div % 4], div, div & 1)
    for data in (0x01, 0x80, 0xFE, 0x37):
        await tb.send(data, 4, 1)
    await FallingEdge(dut.clk)
    assert int(dut.done.value) == 0
    await ClockCycles(dut.clk, 3)
    await FallingEdge(dut.clk)
    tb.check_idle()
    # reset in the middle of a frame
    dut.tx_data.value = 0x00
    dut.tx_start.value = 1
    await FallingEdge(dut.clk)
    dut.tx_start.value = 0
    await ClockCycles(dut.clk, 9)
    dut.rst_n.value = 0
    await FallingEdge(dut.clk)
    tb.check_idle()
    await tb.reset()
    await tb.send(0xC3, 15, 0, disturb=False)
