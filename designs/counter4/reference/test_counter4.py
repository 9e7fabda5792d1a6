"""Reference testbench for counter4: count, wrap, clear priority, and reset mid-run."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer


class TB:
    def __init__(self, dut):
        self.dut = dut
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        self.dut.rst_n.value = 0
        self.dut.en.value = 0
        self.dut.clr.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        await RisingEdge(self.dut.clk)


@cocotb.test()
async def test_counts_and_wraps(dut):
    tb = TB(dut)
    await tb.reset()
    model = 0
    await FallingEdge(dut.clk)
    for cycle in range(40):
        en = 1 if cycle % 7 != 3 else 0
        clr = 1 if cycle == 25 else 0
        dut.en.value = en
        dut.clr.value = clr
        await Timer(1, unit="ns")  # let the combinational wrap settle
        assert int(dut.wrap.value) == int(en and model == 15), f"wrap wrong at count {model}"
        await RisingEdge(dut.clk)
        model = 0 if clr else (model + en) % 16
        await FallingEdge(dut.clk)
        assert int(dut.count.value) == model, f"count {int(dut.count.value)} != {model}"
    # reset in the middle of counting
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 1)
    assert int(dut.count.value) == 0
    dut.rst_n.value = 1
    await ClockCycles(dut.clk, 1)
