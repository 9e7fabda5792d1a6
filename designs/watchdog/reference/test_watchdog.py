"""Reference testbench for watchdog: valid/invalid kicks, window expiry, reset-request pulse, reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer

KEY = 0xC35A
WINDOW = 2000
RST_LEN = 8
IDLE, RUN, FIRE, EXPIRED = range(4)


class Model:
    """Cycle model of the watchdog."""

    def __init__(self):
        self.state = IDLE
        self.cnt = 0
        self.rst_cnt = 0
        self.timeout = 0
        self.rst_req = 0
        self.kick_ok = 0
        self.key_err = 0

    def step(self, en, kick, key, err_clr):
        good = kick and key == KEY
        bad = kick and key != KEY
        # key_err uses the state before the edge
        if self.state == RUN and en and bad:
            self.key_err = 1
        elif err_clr:
            self.key_err = 0
        self.kick_ok = 0
        if self.state == IDLE:
            if en:
                self.state, self.cnt = RUN, WINDOW - 1
        elif self.state == RUN:
            if not en:
                self.state, self.cnt = IDLE, 0
            elif good:
                self.cnt, self.kick_ok = WINDOW - 1, 1
            elif self.cnt == 0:
                self.state, self.timeout, self.rst_req, self.rst_cnt = FIRE, 1, 1, RST_LEN - 1
            else:
                self.cnt -= 1
        elif self.state == FIRE:
            if self.rst_cnt == 0:
                self.state, self.rst_req = EXPIRED, 0
            else:
                self.rst_cnt -= 1
        else:
            if not en:
                self.state, self.timeout = IDLE, 0


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.model = Model()
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def drive(self, en=0, kick=0, key=0, err_clr=0):
        self.dut.en.value = en
        self.dut.kick.value = kick
        self.dut.key.value = key
        self.dut.err_clr.value = err_clr

    async def reset(self):
        self.dut.rst_n.value = 0
        self.drive()
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.model = Model()
        await FallingEdge(self.dut.clk)

    def check(self):
        d, m = self.dut, self.model
        assert int(d.remaining.value) == m.cnt, f"remaining {int(d.remaining.value)} != {m.cnt}"
        assert int(d.kick_ok.value) == m.kick_ok, "kick_ok mismatch"
        assert int(d.key_err.value) == m.key_err, "key_err mismatch"
        assert int(d.timeout.value) == m.timeout, "timeout mismatch"
        assert int(d.rst_req.value) == m.rst_req, "rst_req mismatch"

    async def cycle(self, en=1, kick=0, key=0, err_clr=0, check=True):
        """Drive inputs just after a falling edge, step the model on the rising edge, check after the next fall."""
        self.drive(en, kick, key, err_clr)
        await RisingEdge(self.dut.clk)
        self.model.step(en, kick, key, err_clr)
        await FallingEdge(self.dut.clk)
        if check:
            self.check()

    async def idle_cycles(self, n, en=1):
        """n cycles with no kick; checks only at the end (keeps long waits fast)."""
        for i in range(n):
            await self.cycle(en=en, check=(i == n - 1))


@cocotb.test()
async def test_kicks_and_errors(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.cycle(en=0, kick=1, key=0x1234)       # kicks while idle are ignored
    await tb.cycle(en=1)                           # arm
    await tb.idle_cycles(50)
    await tb.cycle(kick=1, key=KEY)                # valid kick reloads
    assert int(dut.kick_ok.value) == 1
    await tb.idle_cycles(10)
    await tb.cycle(kick=1, key=KEY ^ 0x0001)       # one bit off: rejected, flagged
    assert int(dut.key_err.value) == 1
    await tb.cycle(kick=1, key=0x3CA5, err_clr=1)  # new error beats the clear
    await tb.cycle(err_clr=1)                      # clear
    assert int(dut.key_err.value) == 0
    # random keys: toggle every key bit, mostly wrong keys
    rng = random.Random(3)
    for _ in range(60):
        k = KEY if rng.random() < 0.2 else rng.randrange(1 << 16)
        await tb.cycle(kick=rng.random() < 0.5, key=k, err_clr=rng.random() < 0.3)
    for k in (0x0000, 0xFFFF, KEY):
        await tb.cycle(kick=1, key=k)
    await tb.cycle(en=0, kick=1, key=0x0000)       # disable beats a kick: back to idle
    assert int(dut.remaining.value) == 0
    await tb.cycle(en=0, err_clr=1)


@cocotb.test()
async def test_timeout_and_reset_request(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.cycle(en=1)                           # arm: remaining = WINDOW-1
    assert int(dut.remaining.value) == WINDOW - 1
    await tb.idle_cycles(WINDOW - 1)               # remaining reaches 0 (kick still in time)
    assert int(dut.remaining.value) == 0 and int(dut.timeout.value) == 0
    await tb.cycle(kick=1, key=KEY)                # last-moment kick saves it
    assert int(dut.kick_ok.value) == 1 and int(dut.timeout.value) == 0
    await tb.idle_cycles(WINDOW - 1)
    await tb.cycle()                               # expires now
    assert int(dut.timeout.value) == 1 and int(dut.rst_req.value) == 1
    # the pulse runs to completion even with en low and kicks ignored
    await tb.cycle(en=0, kick=1, key=KEY)
    await tb.cycle(en=0, kick=1, key=0x0BAD)
    for _ in range(RST_LEN - 2):
        await tb.cycle(en=1)
    assert int(dut.rst_req.value) == 0 and int(dut.timeout.value) == 1
    await tb.cycle(en=1, kick=1, key=0x0BAD)       # expired: kicks ignored, timeout sticky
    assert int(dut.key_err.value) == 0
    await tb.cycle(en=0)                           # disabling clears the timeout
    assert int(dut.timeout.value) == 0
    await tb.cycle(en=1)                           # re-arm works
    await tb.idle_cycles(5)
    # reset in the middle of a run
    dut.rst_n.value = 0
    await Timer(2, unit="ns")
    assert int(dut.remaining.value) == 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    tb.model = Model()
    await FallingEdge(dut.clk)
    await tb.cycle(en=1)
    await tb.idle_cycles(3)
