"""Reference testbench for uart_rx: clean frames at several dividers, parity/framing/overrun errors,
start-bit glitch rejection, read-on-delivery and reset."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge


def frame_bits(data, parity, bad_parity=False, stop=1):
    bits = [0] + [(data >> i) & 1 for i in range(8)]
    if parity:
        bits.append((bin(data).count("1") & 1) ^ int(bad_parity))
    return bits + [stop]


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.div = 0
        self.parity = 0
        self.valid = 0        # expected rx_valid (model of the host buffer)
        self.overrun = 0
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        d = self.dut
        d.rst_n.value = 0
        d.rx.value = 1
        self.config(0, 0)
        d.rd.value = 0
        d.clr_overrun.value = 0
        await ClockCycles(d.clk, 2)
        d.rst_n.value = 1
        self.valid = self.overrun = 0
        await FallingEdge(d.clk)
        self.check_flags()

    def config(self, div, parity):
        self.div, self.parity = div, parity
        self.dut.div.value = div
        self.dut.parity_en.value = parity

    def check_flags(self):
        assert int(self.dut.rx_valid.value) == self.valid, "rx_valid"
        assert int(self.dut.overrun.value) == self.overrun, "overrun"

    async def idle(self, cycles):
        self.dut.rx.value = 1
        for _ in range(cycles):
            await FallingEdge(self.dut.clk)

    async def frame(self, data, bad_parity=False, stop=1, rd_on_delivery=False):
        """Drive one frame (one bit per 16*(div+1) clocks), then check the delivered byte."""
        d = self.dut
        period = 16 * (self.div + 1)
        bits = frame_bits(data, self.parity, bad_parity, stop)
        # The start edge is seen 3 edges after the line falls; the stop bit is sampled
        # (8 + 16 * (number of bits before stop)) ticks later.
        deliver_cycle = 2 + (8 + 16 * (len(bits) - 1)) * (self.div + 1)
        cycle = 0
        for b in bits:
            d.rx.value = b
            for _ in range(period):
                d.rd.value = int(rd_on_delivery and cycle == deliver_cycle)
                if cycle < deliver_cycle:
                    assert int(d.active.value) == int(cycle >= 3), f"active at {cycle}"
                await FallingEdge(d.clk)
                cycle += 1
        d.rd.value = 0
        if self.valid and not rd_on_delivery:
            self.overrun = 1
        self.valid = 1
        assert int(d.rx_data.value) == data, f"rx_data {int(d.rx_data.value):#x} != {data:#x}"
        assert int(d.parity_err.value) == int(bool(self.parity and bad_parity)), "parity_err"
        assert int(d.framing_err.value) == int(stop == 0), "framing_err"
        assert int(d.active.value) == 0, "active after frame"
        self.check_flags()

    async def read(self):
        self.dut.rd.value = 1
        await FallingEdge(self.dut.clk)
        self.dut.rd.value = 0
        self.valid = 0
        await FallingEdge(self.dut.clk)
        self.check_flags()


@cocotb.test()
async def test_clean_frames(dut):
    tb = TB(dut)
    await tb.reset()
    for div, parity, data in ((0, 0, 0x55), (0, 1, 0xA3), (1, 0, 0xFF), (2, 1, 0x00), (3, 0, 0x81),
                              (4, 1, 0x7E), (8, 0, 0x3C), (0, 1, 0x01)):
        tb.config(div, parity)
        await tb.frame(data)
        await tb.read()
        await tb.idle(5)
    # back-to-back frames with a read between
    tb.config(1, 0)
    await tb.frame(0x12)
    await tb.read()
    await tb.frame(0xED)
    await tb.read()


@cocotb.test()
async def test_errors(dut):
    tb = TB(dut)
    await tb.reset()
    tb.config(0, 1)
    # parity error (both data parities), byte still delivered
    await tb.frame(0x5A, bad_parity=True)
    await tb.read()
    await tb.frame(0x5B, bad_parity=True)
    await tb.read()
    await tb.frame(0x5B)
    await tb.read()
    # framing error followed by a break (line held low), then recovery
    await tb.frame(0xC6, stop=0)
    dut.rx.value = 0
    for _ in range(40):
        await FallingEdge(dut.clk)
        assert int(dut.active.value) == 0, "no new frame during break"
    await tb.idle(20)
    await tb.read()
    await tb.frame(0x39)
    assert int(dut.framing_err.value) == 0
    await tb.read()
    # overrun: two frames without a read
    tb.config(0, 0)
    await tb.frame(0x11)
    await tb.frame(0x22)
    assert tb.overrun == 1
    await tb.idle(3)
    dut.clr_overrun.value = 1
    await FallingEdge(dut.clk)
    dut.clr_overrun.value = 0
    tb.overrun = 0
    await FallingEdge(dut.clk)
    tb.check_flags()
    # read strobe on the very edge of a delivery: no overrun, new byte valid
    await tb.frame(0x44, rd_on_delivery=True)
    assert int(dut.overrun.value) == 0
    await tb.read()
    # overrun set on the same edge as clr_overrun: stays set
    await tb.frame(0x66)
    period = 16
    dut.rx.value = 0
    for cycle in range(10 * period):
        dut.rx.value = [0, 1, 1, 1, 0, 0, 0, 0, 0, 1][cycle // period]
        dut.clr_overrun.value = int(cycle == 2 + 152)
        await FallingEdge(dut.clk)
    dut.clr_overrun.value = 0
    tb.overrun = 1
    assert int(dut.rx_data.value) == 0x07
    tb.check_flags()
    await tb.read()


@cocotb.test()
async def test_glitch_and_reset(dut):
    tb = TB(dut)
    await tb.reset()
    tb.config(1, 0)
    # short low pulses (shorter than half a bit) are rejected
    for width in (2, 6, 12):
        dut.rx.value = 0
        for _ in range(width):
            await FallingEdge(dut.clk)
        await tb.idle(40)
        assert int(dut.active.value) == 0
        tb.check_flags()
    await tb.frame(0x96)
    await tb.read()
    # reset in the middle of a frame
    dut.rx.value = 0
    await ClockCycles(dut.clk, 50)
    await tb.reset()
    await tb.idle(40)
    await tb.frame(0x69)
    tb.check_flags()
