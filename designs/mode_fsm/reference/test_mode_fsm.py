"""Reference testbench for mode_fsm: full runs of every length, aborts, reset mid-run."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge


class TB:
    def __init__(self, dut):
        self.dut = dut
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        d = self.dut
        d.rst.value = 1
        d.start.value = 0
        d.stop.value = 0
        d.len.value = 0
        await ClockCycles(d.clk, 2)
        d.rst.value = 0
        await FallingEdge(d.clk)

    async def run(self, length, stop_after=None):
        """Start a run; return (cycles busy, done seen, aborted seen)."""
        d = self.dut
        d.len.value = length
        d.start.value = 1
        await FallingEdge(d.clk)
        d.start.value = 0
        busy = 0
        done = aborted = False
        for cycle in range(40):
            if stop_after is not None and cycle == stop_after:
                d.stop.value = 1
            if int(d.busy.value):
                busy += 1
            await FallingEdge(d.clk)
            d.stop.value = 0
            done |= bool(int(d.done.value))
            aborted |= bool(int(d.aborted.value))
            if not int(d.busy.value) and (done or aborted):
                break
        return busy, done, aborted


@cocotb.test()
async def test_runs_and_aborts(dut):
    tb = TB(dut)
    await tb.reset()
    for length in (0, 1, 2, 15, 7):
        busy, done, aborted = await tb.run(length)
        assert done and not aborted, f"len {length}: run did not complete"
        assert busy == max(length, 1), f"len {length}: busy {busy} cycles"
    busy, done, aborted = await tb.run(10, stop_after=3)
    assert aborted and not done, "stop did not abort the run"
    # reset in the middle of a run clears busy
    dut.len.value = 9
    dut.start.value = 1
    await FallingEdge(dut.clk)
    dut.start.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 1
    await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    assert int(dut.busy.value) == 0
    dut.rst.value = 0
    await ClockCycles(dut.clk, 2)
