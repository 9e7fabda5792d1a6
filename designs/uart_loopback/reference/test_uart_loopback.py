"""Reference testbench for uart_loopback: internal loopback, external transmit (decoded from tx_pin),
external receive with framing errors, glitches, overruns and check mismatches, counter saturation, reset."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge


def frame(data, stop=1):
    return [0] + [(data >> i) & 1 for i in range(8)] + [stop]


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.div = 0
        self.valid = 0
        self.data = 0
        self.errs = 0
        self.last_tx = 0
        self.check = 0
        self.decoded = []       # bytes decoded from tx_pin
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        d = self.dut
        d.rst_n.value = 0
        for sig in (d.baud_div, d.lb_en, d.check_en, d.tx_start, d.tx_data, d.rx_rd, d.err_clr):
            sig.value = 0
        d.rx_pin.value = 1
        await ClockCycles(d.clk, 2)
        d.rst_n.value = 1
        self.div, self.valid, self.data, self.errs, self.last_tx, self.check = 0, 0, 0, 0, 0, 0
        await FallingEdge(d.clk)
        self.verify()

    def verify(self):
        d = self.dut
        assert int(d.rx_valid.value) == self.valid, "rx_valid"
        assert int(d.rx_data.value) == self.data, f"rx_data {int(d.rx_data.value):#x} != {self.data:#x}"
        assert int(d.err_cnt.value) == self.errs, f"err_cnt {int(d.err_cnt.value)} != {self.errs}"

    def deliver(self, byte, stop=1, rd=0):
        bad = (stop == 0) or (self.valid and not rd) or (self.check and byte != self.last_tx)
        if bad:
            self.errs = min(self.errs + 1, 15)
        self.valid, self.data = 1, byte

    async def wait(self, n):
        for _ in range(n):
            await FallingEdge(self.dut.clk)

    async def decoder(self):
        """Decode frames on tx_pin by sampling in the middle of each bit."""
        d = self.dut
        while True:
            await FallingEdge(d.clk)
            if int(d.tx_pin.value) == 0:
                bit = 16 * (self.div + 1)
                await self.wait(bit // 2)
                assert int(d.tx_pin.value) == 0, "start bit"
                byte = 0
                for i in range(8):
                    await self.wait(bit)
                    byte |= int(d.tx_pin.value) << i
                await self.wait(bit)
                assert int(d.tx_pin.value) == 1, "stop bit"
                self.decoded.append(byte)

    async def send(self, byte, wait_done=True):
        d = self.dut
        while int(d.tx_busy.value):
            await FallingEdge(d.clk)
        d.tx_data.value = byte
        d.tx_start.value = 1
        await FallingEdge(d.clk)
        d.tx_start.value = 0
        d.tx_data.value = byte ^ 0xFF
        self.last_tx = byte
        assert int(d.tx_busy.value) == 1
        if wait_done:
            while int(d.tx_busy.value):
                await FallingEdge(d.clk)

    async def drive_rx(self, byte, stop=1):
        """Drive one frame on rx_pin; the delivery happens in the middle of the stop bit."""
        d = self.dut
        bit = 16 * (self.div + 1)
        for b in frame(byte, stop):
            d.rx_pin.value = b
            await self.wait(bit)
        d.rx_pin.value = 1
        self.deliver(byte, stop)
        self.verify()

    async def read(self):
        self.dut.rx_rd.value = 1
        await FallingEdge(self.dut.clk)
        self.dut.rx_rd.value = 0
        self.valid = 0
        await FallingEdge(self.dut.clk)
        self.verify()


@cocotb.test()
async def test_loopback(dut):
    tb = TB(dut)
    await tb.reset()
    dut.lb_en.value = 1
    dut.check_en.value = 1
    tb.check = 1
    await tb.wait(3)
    for byte in (0x55, 0xAA, 0x00, 0xFF):
        await tb.send(byte)
        await tb.wait(20)
        assert int(dut.tx_pin.value) == 1, "tx_pin idle in loopback"
        tb.deliver(byte)
        tb.verify()
        await tb.read()
    # slower baud rate
    dut.baud_div.value = 3
    tb.div = 3
    await tb.send(0x3C)
    await tb.wait(70)
    tb.deliver(0x3C)
    tb.verify()
    # a second byte without reading: overrun counted
    await tb.send(0xC3)
    await tb.wait(70)
    tb.deliver(0xC3)
    tb.verify()
    assert tb.errs == 1
    await tb.read()
    # all divider bits exercised while idle
    dut.baud_div.value = 15
    await tb.wait(40)
    dut.baud_div.value = 0
    tb.div = 0
    await tb.wait(5)


@cocotb.test()
async def test_external(dut):
    tb = TB(dut)
    await tb.reset()
    cocotb.start_soon(tb.decoder())
    # transmit on the pin
    for byte in (0xA5, 0x5A, 0x81):
        await tb.send(byte)
    await tb.wait(10)
    assert tb.decoded == [0xA5, 0x5A, 0x81], tb.decoded
    # receive clean bytes from the pin
    await tb.drive_rx(0x96)
    await tb.read()
    await tb.drive_rx(0x69)
    await tb.read()
    # glitch on the idle line: no byte
    dut.rx_pin.value = 0
    await tb.wait(4)
    dut.rx_pin.value = 1
    await tb.wait(30)
    tb.verify()
    # framing error
    await tb.drive_rx(0x12, stop=0)
    await tb.wait(20)
    await tb.read()
    # read strobe on the delivery edge: no overrun
    await tb.drive_rx(0x34)
    bit = 16
    for i, b in enumerate(frame(0x56)):
        dut.rx_pin.value = b
        for c in range(bit):
            dut.rx_rd.value = int(i == 9 and c == 10)
            await FallingEdge(dut.clk)
    dut.rx_rd.value = 0
    dut.rx_pin.value = 1
    tb.deliver(0x56, rd=1)
    tb.verify()
    await tb.read()
    # self-test mismatch: last sent byte is 0x81
    dut.check_en.value = 1
    tb.check = 1
    await tb.drive_rx(0x81)
    await tb.read()
    await tb.drive_rx(0x7E)
    await tb.read()
    assert tb.errs == 2
    # many bad bytes (overruns and mismatches): the counter saturates at 15
    for i in range(15):
        await tb.drive_rx(0x40 + i)
    assert tb.errs == 15
    await tb.read()
    # clear, count a framing error, clear again
    dut.err_clr.value = 1
    await FallingEdge(dut.clk)
    dut.err_clr.value = 0
    tb.errs = 0
    await FallingEdge(dut.clk)
    tb.verify()
    await tb.drive_rx(0x11, stop=0)
    dut.err_clr.value = 1
    await FallingEdge(dut.clk)
    dut.err_clr.value = 0
    tb.errs = 0
    await tb.wait(20)
    tb.verify()
    # reset in the middle of a transmission
    await tb.send(0xF0, wait_done=False)
    await tb.wait(50)
    await tb.reset()
    assert int(dut.tx_pin.value) == 1 and int(dut.tx_busy.value) == 0
