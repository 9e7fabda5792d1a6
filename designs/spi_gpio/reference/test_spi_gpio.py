"""Reference tests for spi_gpio: register map, read/write/set/clear ops, mode 0 and 3, IRQs, error flags."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

RD, WR, SET, CLR = 0x00, 0x40, 0x80, 0xC0
OUT, DIR, GIN, IEN, ISTAT, SCR, ID, STAT = range(8)


async def start(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.sclk.value = 0
    dut.cs_n.value = 1
    dut.mosi.value = 0
    dut.gpio_in.value = 0
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    await FallingEdge(dut.clk)


async def clocks(dut, n):
    for _ in range(n):
        await FallingEdge(dut.clk)


async def spi_xfer(dut, data, mode=0, half=4, nbits=None):
    """One chip-select window, bytes MSB first; returns the whole bytes read on MISO at SCLK rises."""
    bits = [(b >> (7 - i)) & 1 for b in data for i in range(8)][:nbits]
    idle = 1 if mode == 3 else 0
    dut.sclk.value = idle
    dut.cs_n.value = 0
    await clocks(dut, half)
    got = []
    for bit in bits:
        dut.sclk.value = 0
        dut.mosi.value = bit
        await clocks(dut, half)
        got.append(int(dut.miso.value))
        dut.sclk.value = 1
        await clocks(dut, half)
    dut.sclk.value = idle
    await clocks(dut, half)
    dut.cs_n.value = 1
    await clocks(dut, half)
    assert int(dut.miso.value) == 0
    return [int("".join(map(str, got[i : i + 8])), 2) for i in range(0, len(got) - 7, 8)]


def status(wr_count, map_err=0, ro_err=0, frame_err=0, irq=0):
    return wr_count << 4 | irq << 3 | map_err << 2 | ro_err << 1 | frame_err


@cocotb.test()
async def test_reset_readback(dut):
    await start(dut)
    assert dut.gpio_out.value == 0 and dut.gpio_oe.value == 0 and dut.irq.value == 0
    dut.gpio_in.value = 0x96
    await clocks(dut, 3)
    got = await spi_xfer(dut, [RD | OUT] + [0xFF] * 9)
    assert got == [0, 0, 0, 0x96, 0, 0, 0, 0x5A, 0, 0]
    got = await spi_xfer(dut, [RD | ID, 0, 0], mode=3, half=3)
    assert got == [0, 0x5A, 0]
    got = await spi_xfer(dut, [RD | 0x3E, 0, 0, 0, 0])  # unmapped reads 0, address wraps to 0x00
    assert got == [0, 0, 0, 0, 0]
    assert dut.gpio_out.value == 0


@cocotb.test()
async def test_write_set_clear(dut):
    await start(dut)
    assert await spi_xfer(dut, [WR | OUT, 0xA5, 0x3C]) == [0, 0, 0]
    assert dut.gpio_out.value == 0xA5 and dut.gpio_oe.value == 0x3C
    assert await spi_xfer(dut, [SET | OUT, 0x42, 0xC3], mode=3) == [status(2), 0xA5, 0x3C]
    assert dut.gpio_out.value == 0xE7 and dut.gpio_oe.value == 0xFF
    assert await spi_xfer(dut, [CLR | OUT, 0x81, 0x0F]) == [status(4), 0xE7, 0xFF]
    assert dut.gpio_out.value == 0x66 and dut.gpio_oe.value == 0xF0
    assert await spi_xfer(dut, [WR | SCR, 0x5B], half=5) == [status(6), 0]
    assert await spi_xfer(dut, [SET | SCR, 0xA4], mode=3) == [status(7), 0x5B]
    assert await spi_xfer(dut, [CLR | SCR, 0x0F, 0x00]) == [status(8), 0xFF, 0x5A]
    assert await spi_xfer(dut, [RD | SCR, 0x00], mode=3) == [status(9, ro_err=1), 0xF0]
    assert await spi_xfer(dut, [RD | OUT, 0x00, 0x00]) == [status(9, ro_err=1), 0x66, 0xF0]


@cocotb.test()
async def test_irq(dut):
    await start(dut)
    await spi_xfer(dut, [WR | IEN, 0xFF])
    for pin in range(8):  # rising edges accumulate in IRQ_STAT, falling edges do nothing
        dut.gpio_in.value = 1 << pin
        await clocks(dut, 4)
        assert dut.irq.value == 1
        assert await spi_xfer(dut, [RD | ISTAT, 0]) == [status(1, irq=1), (2 << pin) - 1]
    dut.gpio_in.value = 0
    await spi_xfer(dut, [WR | ISTAT, 0x80])  # write one to clear
    assert await spi_xfer(dut, [RD | ISTAT, 0]) == [status(2, irq=1), 0x7F]
    await spi_xfer(dut, [CLR | ISTAT, 0x7F], mode=3)
    assert dut.irq.value == 0
    await spi_xfer(dut, [WR | IEN, 0x0F])
    dut.gpio_in.value = 0xFF  # only the enabled pins are caught
    await clocks(dut, 4)
    assert dut.irq.value == 1
    await spi_xfer(dut, [CLR | IEN, 0x0F])  # masked, still pending
    assert dut.irq.value == 0
    assert await spi_xfer(dut, [SET | ISTAT, 0xF0, 0]) == [status(5), 0x0F, 0]
    assert await spi_xfer(dut, [RD | STAT, 0]) == [status(6, ro_err=1)] * 2
    await spi_xfer(dut, [SET | IEN, 0x01])
    assert dut.irq.value == 1


@cocotb.test()
async def test_error_flags(dut):
    await start(dut)
    await spi_xfer(dut, [WR | GIN, 0x12])
    assert await spi_xfer(dut, [RD | STAT, 0]) == [status(0, ro_err=1)] * 2
    await spi_xfer(dut, [WR | STAT, 0x02])
    await spi_xfer(dut, [SET | ID, 0x12])
    await spi_xfer(dut, [WR | STAT, 0x00, 0x99])  # wr_count 2, then 0x08 is unmapped
    assert await spi_xfer(dut, [RD | STAT, 0]) == [status(2, map_err=1, ro_err=1)] * 2
    await spi_xfer(dut, [WR | 0x3F, 0x01, 0x11])  # unmapped, then wraps to GPIO_OUT
    assert dut.gpio_out.value == 0x11
    await spi_xfer(dut, [CLR | STAT, 0xFF])
    await spi_xfer(dut, [WR | SCR, 0x77], nbits=13)  # partial byte: frame error, nothing written
    assert await spi_xfer(dut, [RD | SCR, 0, 0, 0], mode=3) == [status(4, frame_err=1), 0, 0x5A, status(4, 0, 0, 1)]
    await spi_xfer(dut, [WR | STAT, 0x01], nbits=3)
    await spi_xfer(dut, [WR | STAT, 0x01])
    assert await spi_xfer(dut, [RD | STAT, 0]) == [status(5)] * 2
    await spi_xfer(dut, [SET | STAT, 0xFF])
    assert await spi_xfer(dut, [RD | STAT, 0]) == [status(5, ro_err=1)] * 2


@cocotb.test()
async def test_write_count_wraps(dut):
    await start(dut)
    for i in range(16):
        reg = (OUT, DIR, IEN, SCR)[i % 4]
        await spi_xfer(dut, [(WR, SET, CLR)[i % 3] | reg, 0x11 * i], mode=3 * (i & 1), half=3 + i % 3)
        assert await spi_xfer(dut, [RD | STAT]) == [status((i + 1) % 16)]
    assert dut.gpio_out.value == 0xCC and dut.gpio_oe.value == 0xDD
    await spi_xfer(dut, [CLR | OUT, 0xFF, 0xFF, 0x00, 0xFF])  # OUT, DIR, GPIO_IN (read-only), IRQ_EN
    assert dut.gpio_out.value == 0x00 and dut.gpio_oe.value == 0x00
    await spi_xfer(dut, [WR | 0x2A, 0xFF])
    assert await spi_xfer(dut, [RD | 0x15, 0]) == [status(3, map_err=1, ro_err=1), 0]
    # reset in the middle of a transaction
    dut.cs_n.value = 0
    await clocks(dut, 6)
    dut.rst_n.value = 0
    await clocks(dut, 2)
    dut.rst_n.value = 1
    dut.cs_n.value = 1
    await clocks(dut, 4)
    assert await spi_xfer(dut, [RD | STAT, 0]) == [0, 0]
