"""Reference testbench for combo_lock: debounced key presses with contact bounce, the right code, wrong
attempts up to the 1000-cycle lockout, '*' clear/relock, multi-key and roll-over presses, reset."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

STAR = 10
CODE = [4, 7, 1, 9]


class LockModel:
    def __init__(self):
        self.reset()

    def reset(self):
        self.state = "entry"
        self.digits = []
        self.fails = 0
        self.last_key = 0
        self.beeps = 0
        self.bad = 0

    def key(self, k):
        self.beeps += 1
        self.last_key = k
        if self.state == "open":
            if k == STAR:
                self.state = "entry"
        elif self.state == "entry":
            if k == STAR:
                self.digits = []
            elif len(self.digits) < 3:
                self.digits.append(k)
            else:
                attempt, self.digits = self.digits + [k], []
                if attempt == CODE:
                    self.fails, self.state = 0, "open"
                else:
                    self.bad += 1
                    if self.fails == 2:
                        self.state = "lockout"
                    else:
                        self.fails += 1


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.m = LockModel()
        self.beeps = 0
        self.bads = 0
        self.lockout_cycles = 0
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        cocotb.start_soon(self.monitor())

    async def monitor(self):
        d = self.dut
        while True:
            await FallingEdge(d.clk)
            self.beeps += int(d.key_beep.value)
            self.bads += int(d.bad_attempt.value)
            self.lockout_cycles += int(d.lockout.value)

    async def reset(self):
        d = self.dut
        d.rst_n.value = 0
        d.keys.value = 0
        await ClockCycles(d.clk, 2)
        d.rst_n.value = 1
        self.m.reset()
        self.beeps = self.bads = 0
        await FallingEdge(d.clk)
        self.check()

    def check(self):
        d, m = self.dut, self.m
        assert int(d.unlocked.value) == int(m.state == "open"), "unlocked"
        assert int(d.lockout.value) == int(m.state == "lockout"), "lockout"
        assert int(d.fails.value) == m.fails, f"fails {int(d.fails.value)} != {m.fails}"
        assert int(d.digits.value) == len(m.digits), "digits"
        assert int(d.last_key.value) == m.last_key, "last_key"
        assert self.beeps == m.beeps, f"beeps {self.beeps} != {m.beeps}"
        assert self.bads == m.bad, "bad_attempt pulses"

    async def hold(self, vec, cycles):
        self.dut.keys.value = vec
        for _ in range(cycles):
            await FallingEdge(self.dut.clk)

    async def press(self, k, bounce=True, expect=True):
        """Press and release one key with contact bounce; the model sees one key event."""
        if bounce:
            for width in (3, 2, 5):
                await self.hold(1 << k, width)
                await self.hold(0, 2)
        await self.hold(1 << k, 24)
        if expect:
            self.m.key(k)
        self.check()
        if bounce:
            await self.hold(0, 4)
            await self.hold(1 << k, 3)
        await self.hold(0, 22)
        self.check()

    async def enter(self, seq, bounce=False):
        for k in seq:
            await self.press(k, bounce)


@cocotb.test()
async def test_open_and_relock(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.enter(CODE, bounce=True)
    assert tb.m.state == "open"
    await tb.enter([4, 7, 1, 9, 0])                 # digits are ignored while open
    assert tb.m.state == "open"
    await tb.press(STAR)                            # relock
    assert tb.m.state == "entry"
    # '*' clears a partial entry; the next four digits are a fresh attempt
    await tb.enter([4, 7, STAR])
    await tb.enter(CODE)
    assert tb.m.state == "open"
    await tb.press(STAR)
    # every key once (decoder encodes all of them): one wrong attempt, one cleared entry
    await tb.enter([0, 1, 2, 3, STAR, 5, 6, 8, STAR])
    assert tb.m.fails == 1
    # a second wrong attempt, then the right code resets the count
    await tb.enter([4, 7, 1, 8])
    assert tb.m.fails == 2
    await tb.enter([4, 7, 1, 9])
    assert tb.m.fails == 0 and tb.m.state == "open"
    await tb.press(STAR)


@cocotb.test()
async def test_lockout(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.enter([4, 7, 9, 1])                     # wrong order
    await tb.enter([1, 7, 1, 9])                     # wrong first digit
    assert tb.m.fails == 2 and tb.bads == 2
    tb.lockout_cycles = 0
    await tb.enter([4, 7, 1, 0])                     # third wrong attempt: lockout
    assert tb.m.state == "lockout"
    # keys during lockout are decoded (beep) but ignored, even the right code
    await tb.enter(CODE)
    while int(dut.lockout.value):
        await FallingEdge(dut.clk)
    assert tb.lockout_cycles == 1000, f"lockout lasted {tb.lockout_cycles}"
    tb.m.state, tb.m.fails = "entry", 0
    tb.check()
    await tb.enter(CODE)
    assert tb.m.state == "open"


@cocotb.test()
async def test_decoder_rules(dut):
    tb = TB(dut)
    await tb.reset()
    # two keys at once: no event
    await tb.hold((1 << 4) | (1 << 7), 30)
    await tb.hold(0, 30)
    tb.check()
    # roll-over: 4 held, then 7 added, then 4 released (7 alone): only the first key counts
    await tb.hold(1 << 4, 25)
    tb.m.key(4)
    tb.check()
    await tb.hold((1 << 4) | (1 << 7), 25)
    await tb.hold(1 << 7, 25)
    await tb.hold(0, 25)
    tb.check()
    # a bounce that never settles for 16 cycles gives no event
    for _ in range(6):
        await tb.hold(1 << 9, 10)
        await tb.hold(0, 10)
    await tb.hold(0, 20)
    tb.check()
    # star key with every other key released
    await tb.press(STAR)
    await tb.enter([4, 7])
    # reset in the middle of an entry, with a key held
    dut.keys.value = 1 << 1
    await ClockCycles(dut.clk, 10)
    await tb.reset()
    await tb.hold(0, 25)
    tb.check()
    await tb.enter(CODE)
    assert tb.m.state == "open"
