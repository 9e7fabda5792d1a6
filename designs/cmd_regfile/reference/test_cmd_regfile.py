"""Reference tests for cmd_regfile: reads, writes, every error, unlock keys, one-shot unlock and its timeout."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

OK, E_OP, E_SUM, E_PROT, E_ADDR = 0, 1, 2, 4, 8


def cmd(*body):
    """A command: its bytes followed by the XOR checksum."""
    s = 0
    for b in body:
        s ^= b
    return list(body) + [s]


async def start(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.cmd_valid.value = 0
    dut.cmd_byte.value = 0
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    await FallingEdge(dut.clk)


async def send(dut, data, gap=0):
    """Send bytes (gap idle cycles between them); return (resp_err, resp_data) after the last one."""
    for i, b in enumerate(data):
        dut.cmd_valid.value = 0
        for _ in range(gap if i else 0):
            await FallingEdge(dut.clk)
        dut.cmd_valid.value = 1
        dut.cmd_byte.value = b
        await FallingEdge(dut.clk)
    dut.cmd_valid.value = 0
    assert dut.resp_valid.value == 1
    return int(dut.resp_err.value), int(dut.resp_data.value)


@cocotb.test()
async def test_write_read_open_regs(dut):
    await start(dut)
    for a in range(4):
        for v in (0xFF, 0x00, 0x5A):
            assert await send(dut, cmd(0x02, a, v)) == (OK, v)
            assert await send(dut, cmd(0x01, a), gap=1) == (OK, v)
    assert dut.unlocked.value == 0


@cocotb.test()
async def test_bad_opcode_and_checksum(dut):
    await start(dut)
    for op in (0x00, 0x04, 0xFF, 0x81):
        assert await send(dut, [op]) == (E_OP, 0)
        assert dut.busy.value == 0
    await send(dut, cmd(0x02, 0x01, 0x77))
    bad = cmd(0x02, 0x01, 0x33)
    bad[-1] ^= 0x80
    assert await send(dut, bad) == (E_SUM, 0)           # write with a bad checksum: dropped
    assert await send(dut, cmd(0x01, 0x01)) == (OK, 0x77)
    assert await send(dut, cmd(0x03, 0xA5, 0x5A)[:-1] + [0x00]) == (E_SUM, 0)
    assert dut.unlocked.value == 0


@cocotb.test()
async def test_bad_address(dut):
    await start(dut)
    for a in (0x08, 0xF8, 0x10, 0x80):
        assert await send(dut, cmd(0x01, a)) == (E_ADDR, 0)
        assert await send(dut, cmd(0x02, a, 0x12)) == (E_ADDR, 0)
    dut.cmd_valid.value = 1
    dut.cmd_byte.value = 0x02
    await FallingEdge(dut.clk)
    assert dut.busy.value == 1


@cocotb.test()
async def test_protected_when_locked(dut):
    await start(dut)
    for a in range(4, 8):
        assert await send(dut, cmd(0x02, a, 0x99)) == (E_PROT, 0)
        assert await send(dut, cmd(0x01, a)) == (OK, 0)      # reads are never protected
    for keys in ((0x5A, 0xA5), (0xA5, 0x00), (0xFF, 0xFF)):  # wrong keys or order
        assert await send(dut, cmd(0x03, *keys)) == (E_PROT, 0)
        assert dut.unlocked.value == 0


@cocotb.test()
async def test_unlock_one_write(dut):
    await start(dut)
    for a in range(4, 8):
        for v in (0xFF, 0x00, 0xC3):
            assert await send(dut, cmd(0x03, 0xA5, 0x5A)) == (OK, 0)
            assert dut.unlocked.value == 1
            assert await send(dut, cmd(0x02, 0x01, v)) == (OK, v)   # open register: stays unlocked
            assert dut.unlocked.value == 1
            assert await send(dut, cmd(0x02, a, v)) == (OK, v)
            assert dut.unlocked.value == 0                          # relocked by the write
            assert await send(dut, cmd(0x02, a, 0x11)) == (E_PROT, 0)
            assert await send(dut, cmd(0x01, a)) == (OK, v)


@cocotb.test()
async def test_unlock_timeout(dut):
    await start(dut)
    await send(dut, cmd(0x03, 0xA5, 0x5A))
    await ClockCycles(dut.clk, 150)
    assert dut.unlocked.value == 1
    await ClockCycles(dut.clk, 60)                     # UNLOCK_CYCLES = 200
    assert dut.unlocked.value == 0
    await FallingEdge(dut.clk)
    assert await send(dut, cmd(0x02, 0x06, 0x42)) == (E_PROT, 0)
    assert await send(dut, cmd(0x01, 0x06)) == (OK, 0)
