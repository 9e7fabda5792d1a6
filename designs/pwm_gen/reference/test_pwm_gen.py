"""Reference testbench for pwm_gen: duty edge cases, double buffering, stop/start and reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer


class Model:
    """Cycle model of the PWM generator."""

    def __init__(self):
        self.sh_period = self.sh_duty = 0
        self.pend = 0
        self.period = self.duty = 0
        self.cnt = 0

    def outputs(self, en):
        running = en and self.period != 0
        last = running and self.cnt == self.period - 1
        return running, last, int(running and self.cnt < self.duty)

    def step(self, en, load, period_in, duty_in):
        running, last, _ = self.outputs(en)
        apply = self.pend and (not running or last)
        if apply:
            self.period, self.duty = self.sh_period, self.sh_duty
        self.pend = int(load or (self.pend and not apply))
        if load:
            self.sh_period, self.sh_duty = period_in, duty_in
        self.cnt = 0 if (not running or last) else self.cnt + 1


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.model = Model()
        self.high = 0
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def drive(self, en=0, load=0, period_in=0, duty_in=0):
        self.dut.en.value = en
        self.dut.load.value = load
        self.dut.period_in.value = period_in
        self.dut.duty_in.value = duty_in

    async def reset(self):
        self.dut.rst_n.value = 0
        self.drive()
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.model = Model()
        await FallingEdge(self.dut.clk)

    async def cycle(self, en=1, load=0, period_in=0, duty_in=0):
        d, m = self.dut, self.model
        self.drive(en, load, period_in, duty_in)
        await Timer(1, unit="ns")
        _, last, pwm = m.outputs(en)
        assert int(d.pwm.value) == pwm, f"pwm {int(d.pwm.value)} != {pwm} (phase {m.cnt}, P={m.period}, D={m.duty})"
        assert int(d.period_end.value) == int(last), "period_end mismatch"
        assert int(d.pending.value) == m.pend, "pending mismatch"
        assert int(d.phase.value) == m.cnt, f"phase {int(d.phase.value)} != {m.cnt}"
        self.high += pwm
        await RisingEdge(d.clk)
        m.step(en, load, period_in, duty_in)
        await FallingEdge(d.clk)

    async def setting(self, period, duty):
        """Load a setting and wait until it is active and a new period starts."""
        await self.cycle(load=1, period_in=period, duty_in=duty)
        while self.model.pend:
            await self.cycle()

    async def measure(self, periods):
        """Run whole periods (starting at phase 0) and return the number of high cycles."""
        self.high = 0
        for _ in range(periods * self.model.period):
            await self.cycle()
        return self.high


@cocotb.test()
async def test_duty_cases(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.cycle(en=0)                       # stopped: PERIOD = 0, output low
    await tb.setting(10, 3)                    # applied two edges after the load while stopped
    assert await tb.measure(2) == 6
    await tb.setting(10, 0)                    # duty 0: never high
    assert await tb.measure(2) == 0
    await tb.setting(10, 10)                   # duty == period: always high
    assert await tb.measure(2) == 20
    await tb.setting(6, 200)                   # duty > period: always high
    assert await tb.measure(2) == 12
    await tb.setting(1, 1)                     # period 1: phase stays 0, period_end every cycle
    assert await tb.measure(3) == 3
    await tb.setting(255, 128)                 # longest period: phase reaches 254
    assert await tb.measure(1) == 128
    await tb.setting(0, 0)                     # period 0 stops the generator
    for _ in range(3):
        await tb.cycle()
    await tb.cycle(en=0, load=1, period_in=0xFF, duty_in=0xFF)
    await tb.cycle(en=0, load=1, period_in=0x00, duty_in=0x00)
    await tb.cycle(en=0)
    await tb.cycle(en=0)


@cocotb.test()
async def test_double_buffering(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.setting(8, 4)
    for _ in range(3):
        await tb.cycle()
    await tb.cycle(load=1, period_in=5, duty_in=2)   # mid-period: waits for the boundary
    assert tb.model.pend == 1 and tb.model.period == 8
    while tb.model.cnt != tb.model.period - 1:
        await tb.cycle()
    # load on the boundary edge: the older shadow is applied, the new one stays pending
    await tb.cycle(load=1, period_in=12, duty_in=7)
    assert tb.model.period == 5 and tb.model.pend == 1
    for _ in range(6):
        await tb.cycle()
    assert tb.model.period == 12
    await tb.cycle(en=0)                             # disable rewinds the phase
    await tb.cycle(en=1)
    # random traffic
    rng = random.Random(11)
    for _ in range(600):
        await tb.cycle(en=rng.random() < 0.9, load=rng.random() < 0.03,
                       period_in=rng.choice([0, 1, 2, rng.randrange(256)]), duty_in=rng.randrange(256))
    # reset mid-run
    dut.rst_n.value = 0
    await Timer(2, unit="ns")
    assert int(dut.phase.value) == 0 and int(dut.pwm.value) == 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    tb.model = Model()
    await FallingEdge(dut.clk)
    await tb.setting(3, 1)
    await tb.measure(2)
