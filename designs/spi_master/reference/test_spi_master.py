"""Reference testbench for spi_master: a behavioural SPI slave checks every mode, the SCLK timing,
chip-select bursts and release, and reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge


class Slave:
    """SPI slave model driven from the master's pins, sampled once per clock (after the falling edge)."""

    def __init__(self, dut):
        self.dut = dut
        self.cpol = self.cpha = 0
        self.pending = []        # response bytes queued for the next transfers
        self.cur = [0] * 8       # bits of the byte being shifted out on MISO, MSB first
        self.bi = 8              # index of the next bit of cur to drive
        self.rx_bits = []        # bits sampled from MOSI
        self.edges = []          # (cycle, level) of every SCLK change while selected
        self.cs_events = []      # (cycle, cs_n) of every CS change
        self.cycle = 0
        self.prev_cs = 1
        self.prev_sclk = 0
        self.prev_busy = 0
        self.starts = []         # cycles at which busy rose

    def load(self, byte):
        self.pending.append(byte)

    def next_byte(self):
        byte = self.pending.pop(0) if self.pending else 0
        self.cur = [(byte >> (7 - i)) & 1 for i in range(8)]
        self.bi = 0

    def drive(self):
        if self.bi == 8:                 # burst: the next byte follows without a CS edge
            self.next_byte()
        self.dut.miso.value = self.cur[self.bi]
        self.bi += 1

    async def run(self):
        d = self.dut
        while True:
            await FallingEdge(d.clk)
            self.cycle += 1
            cs, s = int(d.cs_n.value), int(d.sclk.value)
            busy = int(d.busy.value)
            if busy and not self.prev_busy:
                self.starts.append(self.cycle)
            self.prev_busy = busy
            if cs != self.prev_cs:
                self.cs_events.append((self.cycle, cs))
                if cs == 0:
                    self.next_byte()     # selection restarts the slave's bit counter
                    if self.cpha == 0:
                        self.drive()
            elif cs == 1:
                assert s == int(d.cpol.value) or self.cycle - self.cs_events[-1][0] <= 1, "SCLK idle level"
            if cs == 0 and s != self.prev_sclk:
                self.edges.append((self.cycle, s))
                leading = s != self.cpol
                if leading != bool(self.cpha):
                    self.rx_bits.append(int(d.mosi.value))
                else:
                    self.drive()
            self.prev_cs, self.prev_sclk = cs, s


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.slave = Slave(dut)
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        d = self.dut
        d.rst_n.value = 0
        for sig in (d.cpol, d.cpha, d.div, d.start, d.tx_data, d.cs_keep, d.cs_release, d.miso):
            sig.value = 0
        await ClockCycles(d.clk, 2)
        d.rst_n.value = 1
        await FallingEdge(d.clk)
        assert int(d.cs_n.value) == 1 and int(d.busy.value) == 0

    async def wait(self, n):
        for _ in range(n):
            await FallingEdge(self.dut.clk)

    def mode(self, m):
        self.slave.cpol, self.slave.cpha = m >> 1, m & 1
        self.dut.cpol.value, self.dut.cpha.value = m >> 1, m & 1

    async def xfer(self, tx, resp, div, keep=0, preloaded=False):
        d, s = self.dut, self.slave
        if not preloaded:
            s.load(resp)
        n_edges, n_rx = len(s.edges), len(s.rx_bits)
        was_selected = int(d.cs_n.value) == 0
        d.div.value = div
        d.tx_data.value = tx
        d.cs_keep.value = keep
        d.start.value = 1
        await FallingEdge(d.clk)
        d.start.value = 0
        d.tx_data.value = 0xFF ^ tx         # changing inputs while busy has no effect
        d.div.value = 15 - div
        d.cs_keep.value = 1 - keep
        cycles = 0
        while not int(d.done.value):
            assert int(d.busy.value) == 1, "busy during transfer"
            if cycles == 0:
                d.start.value = 1           # ignored while busy
            else:
                d.start.value = 0
            await FallingEdge(d.clk)
            cycles += 1
            assert cycles < 17 * (div + 1) + 4, "transfer too long"
        # timing: 16 edges, div+1 clocks apart, first one div+1 after start
        start_cycle = s.starts[-1]
        edges = s.edges[n_edges:]
        assert len(edges) == 16, f"{len(edges)} SCLK edges"
        times = [start_cycle] + [c for c, _ in edges]
        assert all(b - a == div + 1 for a, b in zip(times, times[1:])), f"edge spacing {times}"
        assert cycles == 17 * (div + 1), f"transfer length {cycles}"
        # data both ways
        got = 0
        for b in s.rx_bits[n_rx:]:
            got = (got << 1) | b
        assert got == tx, f"slave got {got:#x}, sent {tx:#x}"
        assert int(d.rx_data.value) == resp, f"master got {int(d.rx_data.value):#x}, slave sent {resp:#x}"
        assert int(d.cs_n.value) == 1 - keep, "cs after transfer"
        if not was_selected:
            assert (start_cycle, 0) in s.cs_events, "CS falls with busy"
        assert all(c <= start_cycle or c >= edges[-1][0] + div + 1 for c, _ in s.cs_events), 'CS stable'
        d.cs_keep.value = 0
        d.div.value = div


@cocotb.test()
async def test_modes(dut):
    tb = TB(dut)
    await tb.reset()
    cocotb.start_soon(tb.slave.run())
    rng = random.Random(8)
    for m in range(4):
        tb.mode(m)
        await tb.wait(2)
        for div in (0, 1, 3):
            await tb.xfer(rng.randint(0, 255), rng.randint(0, 255), div)
        await tb.xfer(0xA5, 0x5A, 2)
        await tb.xfer(0x5A, 0xA5, 2)
        await FallingEdge(dut.clk)
    tb.mode(0)
    await tb.wait(2)                        # SCLK settles to the new idle level before CS falls
    await tb.xfer(0xFF, 0x00, 15)
    await tb.xfer(0x00, 0xFF, 8)


@cocotb.test()
async def test_bursts_and_reset(dut):
    tb = TB(dut)
    await tb.reset()
    cocotb.start_soon(tb.slave.run())
    for m in (0, 3):
        tb.mode(m)
        await FallingEdge(dut.clk)
        # three-byte burst with CS kept, then released by the last transfer
        for b in (0xE1, 0xD2, 0xC3):
            tb.slave.load(b)
        await tb.xfer(0x11, 0xE1, 1, keep=1, preloaded=True)
        await tb.xfer(0x22, 0xD2, 1, keep=1, preloaded=True)
        assert int(dut.cs_n.value) == 0
        await tb.xfer(0x33, 0xC3, 1, keep=0, preloaded=True)
        assert int(dut.cs_n.value) == 1
        # kept CS released explicitly while idle
        await tb.xfer(0x44, 0xB4, 0, keep=1)
        await tb.wait(2)
        dut.cs_release.value = 1
        await FallingEdge(dut.clk)
        dut.cs_release.value = 0
        await FallingEdge(dut.clk)
        assert int(dut.cs_n.value) == 1
    # reset in the middle of a transfer
    tb.mode(1)
    dut.div.value = 2
    dut.tx_data.value = 0x96
    dut.start.value = 1
    await FallingEdge(dut.clk)
    dut.start.value = 0
    await tb.wait(20)
    dut.rst_n.value = 0
    await FallingEdge(dut.clk)
    assert int(dut.cs_n.value) == 1 and int(dut.busy.value) == 0
