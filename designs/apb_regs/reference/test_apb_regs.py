"""Reference testbench for apb_regs: APB3 transfers, wait state on DATA, RO/W1C/write-once, PSLVERR, reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer

CTRL, STATUS, INTSTAT, INTEN, CFG, DATA = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14
MAPPED = (CTRL, STATUS, INTSTAT, INTEN, CFG, DATA)


class Model:
    def __init__(self):
        self.reset()

    def reset(self):
        self.ctrl = 0
        self.int_stat = 0
        self.int_en = 0
        self.cfg = 0
        self.cfg_done = 0
        self.data = 0
        self.wait_q = 0

    def irq(self):
        return int(bool(self.int_stat & self.int_en))

    def comb(self, psel, penable, pwrite, paddr, status):
        """Combinational outputs for the current inputs: (pready, prdata, pslverr, err)."""
        access = psel and penable
        pready = int(not (access and paddr == DATA and not self.wait_q))
        done = access and pready
        err = (paddr not in MAPPED) or (pwrite and (paddr == STATUS or (paddr == CFG and self.cfg_done)))
        rd = {CTRL: self.ctrl, STATUS: status | self.cfg_done << 16 | self.irq() << 17,
              INTSTAT: self.int_stat, INTEN: self.int_en, CFG: self.cfg, DATA: self.data}.get(paddr, 0)
        prdata = rd if (done and not pwrite and not err) else 0
        return pready, prdata, int(bool(done and err)), err

    def step(self, psel, penable, pwrite, paddr, pwdata, status, events):
        pready, _, _, err = self.comb(psel, penable, pwrite, paddr, status)
        access = psel and penable
        wr_ok = access and pready and pwrite and not err
        w1c = 0
        if wr_ok:
            if paddr == CTRL:
                self.ctrl = pwdata & 0xFFFF
            elif paddr == INTEN:
                self.int_en = pwdata & 0xF
            elif paddr == CFG:
                self.cfg = pwdata & 0xFFF
                self.cfg_done = 1
            elif paddr == DATA:
                self.data = pwdata
            elif paddr == INTSTAT:
                w1c = pwdata & 0xF
        self.int_stat = (self.int_stat & ~w1c) | events
        self.wait_q = int(bool(access and paddr == DATA and not self.wait_q))


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.m = Model()
        self.status = 0
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        d = self.dut
        for s in (d.psel, d.penable, d.pwrite, d.paddr, d.pwdata, d.event_i):
            s.value = 0
        d.status_i.value = 0
        d.rst_n.value = 0
        await ClockCycles(d.clk, 2)
        d.rst_n.value = 1
        self.m.reset()
        await FallingEdge(d.clk)
        self.check_regs()

    def check_regs(self):
        d, m = self.dut, self.m
        assert int(d.ctrl_o.value) == m.ctrl, "ctrl_o"
        assert int(d.cfg_o.value) == m.cfg, "cfg_o"
        assert int(d.cfg_done_o.value) == m.cfg_done, "cfg_done_o"
        assert int(d.irq_o.value) == m.irq(), "irq_o"

    async def cycle(self, psel=0, penable=0, pwrite=0, paddr=0, pwdata=0, events=0, status=None):
        """One clock: drive, check the combinational APB outputs, clock, check registers."""
        d = self.dut
        if status is not None:
            self.status = status
        d.psel.value = psel
        d.penable.value = penable
        d.pwrite.value = pwrite
        d.paddr.value = paddr
        d.pwdata.value = pwdata
        d.event_i.value = events
        d.status_i.value = self.status
        await Timer(1, unit="ns")
        pready, prdata, pslverr, _ = self.m.comb(psel, penable, pwrite, paddr, self.status)
        got = (int(d.pready.value), int(d.prdata.value), int(d.pslverr.value))
        assert got == (pready, prdata, pslverr), f"APB outputs {got} != {(pready, prdata, pslverr)} @ {paddr:#x}"
        await RisingEdge(d.clk)
        self.m.step(psel, penable, pwrite, paddr, pwdata, self.status, events)
        await FallingEdge(d.clk)
        d.psel.value = 0
        d.penable.value = 0
        d.event_i.value = 0
        self.check_regs()
        return got

    async def xfer(self, write, addr, wdata=0, setup_cycles=1, events=0):
        """A complete APB transfer; returns (prdata, pslverr, wait_states)."""
        for _ in range(setup_cycles):
            await self.cycle(1, 0, write, addr, wdata, events)
        waits = 0
        while True:
            pready, prdata, pslverr = await self.cycle(1, 1, write, addr, wdata)
            if pready:
                return prdata, pslverr, waits
            waits += 1

    async def write(self, addr, wdata, **kw):
        return (await self.xfer(1, addr, wdata, **kw))[1]

    async def read(self, addr, **kw):
        prdata, err, _ = await self.xfer(0, addr, **kw)
        return prdata, err


@cocotb.test()
async def test_registers(dut):
    tb = TB(dut)
    await tb.reset()
    # CTRL and DATA: ones/zeros through every bit
    for v in (0xFFFFFFFF, 0x00000000, 0xA5A5A5A5, 0x5A5A5A5A):
        assert await tb.write(CTRL, v) == 0
        assert await tb.read(CTRL) == (v & 0xFFFF, 0)
        assert await tb.write(DATA, v) == 0
        assert await tb.read(DATA) == (v, 0)
    # DATA always takes exactly one wait state, reads and writes; others none
    assert (await tb.xfer(0, DATA))[2] == 1
    assert (await tb.xfer(1, DATA, 0x1234))[2] == 1
    assert (await tb.xfer(0, CTRL))[2] == 0
    # back-to-back transfers without idle cycles, long setup phase
    await tb.xfer(1, DATA, 0xFFFFFFFF, setup_cycles=3)
    await tb.xfer(0, DATA)
    # STATUS: read-only mirror; write -> PSLVERR
    for s in (0xFFFF, 0x0000, 0x8001):
        await tb.cycle(status=s)
        assert await tb.read(STATUS) == (s, 0)
    assert await tb.write(STATUS, 0xFFFFFFFF) == 1
    # CFG: first write sticks, second write -> PSLVERR and ignored
    assert await tb.read(CFG) == (0, 0)
    assert await tb.write(CFG, 0xFFF) == 0
    assert int(dut.cfg_done_o.value) == 1
    assert await tb.write(CFG, 0x000) == 1
    assert await tb.read(CFG) == (0xFFF, 0)
    assert (await tb.read(STATUS))[0] >> 16 & 1 == 1
    # unmapped / misaligned addresses, read and write
    for a in (0x01, 0x02, 0x03, 0x15, 0x18, 0x1C, 0x20, 0x40, 0x80, 0xFF, 0xAA, 0x55):
        assert (await tb.read(a))[1] == 1
        assert await tb.write(a, 0xFFFFFFFF) == 1
    # penable without psel, and select with no access phase, do nothing
    await tb.cycle(0, 1, 1, CTRL, 0)
    await tb.cycle(1, 0, 1, DATA, 0)
    await tb.cycle(0, 0, 1, DATA, 0)


@cocotb.test()
async def test_cfg_after_reset_and_interrupts(dut):
    tb = TB(dut)
    await tb.reset()
    # write-once CFG with the opposite pattern (fresh reset)
    assert await tb.write(CFG, 0x000) == 0
    assert await tb.write(CFG, 0xFFF) == 1
    assert int(dut.cfg_o.value) == 0
    await tb.cycle(events=0xF)
    assert await tb.read(INTSTAT) == (0xF, 0)
    for en in (0xF, 0x0, 0x5, 0xA, 0xF):
        assert await tb.write(INTEN, en) == 0
        assert await tb.read(INTEN) == (en, 0)
    assert int(dut.irq_o.value) == 1
    assert (await tb.read(STATUS))[0] >> 17 & 1 == 1
    for b in range(4):
        assert await tb.write(INTSTAT, 1 << b) == 0
    assert int(dut.irq_o.value) == 0
    # event in the same cycle as its W1C clear: the event wins
    await tb.cycle(events=0x6)
    await tb.cycle(1, 0, 1, INTSTAT, 0x6)
    await tb.cycle(1, 1, 1, INTSTAT, 0x6, events=0x2)
    assert await tb.read(INTSTAT) == (0x2, 0)


@cocotb.test()
async def test_random_and_reset(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(23)
    for _ in range(250):
        a = rng.choice(MAPPED) if rng.random() < 0.85 else rng.randrange(256)
        ev = rng.randrange(16) if rng.random() < 0.2 else 0
        if rng.random() < 0.2:
            await tb.cycle(events=ev, status=rng.randrange(1 << 16))
        await tb.xfer(rng.randrange(2), a, rng.getrandbits(32), setup_cycles=1 + (rng.random() < 0.2), events=ev)
    # reset in the middle of a DATA wait state
    await tb.cycle(1, 0, 1, DATA, 0xDEADBEEF)
    await tb.cycle(1, 1, 1, DATA, 0xDEADBEEF)
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 1)
    dut.rst_n.value = 1
    tb.m.reset()
    await FallingEdge(dut.clk)
    tb.check_regs()
    assert await tb.read(DATA) == (0, 0)
