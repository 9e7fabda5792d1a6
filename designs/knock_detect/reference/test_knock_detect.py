"""Reference testbench for knock_detect: the six-knock pattern, window edges, failures, timeout, tamper."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

EARLY, OFF_WINDOW, TIMED_OUT = 1, 2, 3
GOOD = [30, 30, 100, 30, 100]  # short, short, long, short, long


async def start(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst_n.value = 0
    dut.sensor.value = 0
    dut.tamper_clr.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    await FallingEdge(dut.clk)


async def knock(dut, gaps, tail=4):
    """One knock, then one more after each gap (cycles from knock to knock); return (opens, fails) seen."""
    levels = [1]
    for g in gaps:
        levels += [0] * (g - 1) + [1]
    opens = fails = 0
    for level in levels + [0] * tail:
        dut.sensor.value = level
        await FallingEdge(dut.clk)
        opens += int(dut.open.value)
        fails += int(dut.fail.value)
    return opens, fails


@cocotb.test()
async def test_open(dut):
    await start(dut)
    assert await knock(dut, GOOD) == (1, 0)
    assert int(dut.open_cnt.value) == 1 and int(dut.knocks.value) == 0
    for gaps in ([24, 36, 90, 24, 110], [36, 24, 110, 36, 90]):   # the edges of both windows
        assert await knock(dut, gaps) == (1, 0)
    assert int(dut.open_cnt.value) == 3 and int(dut.fail_run.value) == 0


@cocotb.test()
async def test_bad_gaps(dut):
    await start(dut)
    cases = [([23], EARLY), ([30, 37], OFF_WINDOW), ([30, 30, 89], OFF_WINDOW),
             ([25, 5], EARLY), ([30, 30, 111], OFF_WINDOW), ([100], OFF_WINDOW),
             ([30, 30, 100, 30, 30], OFF_WINDOW)]
    for gaps, why in cases:
        assert await knock(dut, gaps) == (0, 1), f"gaps {gaps}"
        assert int(dut.fail_why.value) == why
        assert int(dut.knocks.value) == 1            # the failing knock arms a new attempt
        await ClockCycles(dut.clk, 210, rising=False)  # let that attempt time out
    assert int(dut.open_cnt.value) == 0 and int(dut.tamper.value) == 1


@cocotb.test()
async def test_timeout(dut):
    await start(dut)
    assert await knock(dut, [30, 30], tail=150) == (0, 0)
    assert int(dut.knocks.value) == 3
    assert await knock(dut, [], tail=4) == (0, 1)    # 154 cycles: off-window, re-arms
    assert int(dut.fail_why.value) == OFF_WINDOW
    await ClockCycles(dut.clk, 194, rising=False)
    assert int(dut.knocks.value) == 1 and int(dut.fail_why.value) == OFF_WINDOW
    await ClockCycles(dut.clk, 6, rising=False)      # 200 cycles without a knock
    assert int(dut.fail_why.value) == TIMED_OUT and int(dut.knocks.value) == 0
    assert int(dut.fail_run.value) == 2 and int(dut.tamper.value) == 0


@cocotb.test()
async def test_tamper(dut):
    await start(dut)
    for n in (1, 2, 3, 3):                           # the run saturates at 3
        assert await knock(dut, [], tail=205) == (0, 1)   # one knock, then a timeout
        assert int(dut.fail_run.value) == n
    assert int(dut.tamper.value) == 1
    assert await knock(dut, GOOD) == (1, 0)          # an opening clears the run, not the alarm
    assert int(dut.fail_run.value) == 0 and int(dut.tamper.value) == 1
    dut.tamper_clr.value = 1
    await knock(dut, [10], tail=210)                 # a clear wins over failures
    dut.tamper_clr.value = 0
    await FallingEdge(dut.clk)
    assert int(dut.tamper.value) == 0 and int(dut.fail_run.value) == 0


@cocotb.test()
async def test_open_counter_wraps(dut):
    await start(dut)
    for n in range(1, 18):
        assert await knock(dut, GOOD) == (1, 0)
        assert int(dut.open_cnt.value) == n % 16
    dut.rst_n.value = 0
    await FallingEdge(dut.clk)
    assert int(dut.open_cnt.value) == 0
