"""Reference tests for hdlc_deframer: good frames, escapes, bad FCS, abort, short, too long, counters."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge


def frame(addr, ctrl, info, fcs_xor=0):
    """Flag, byte-stuffed ADDR CTRL INFO FCS (CRC-16/CCITT-FALSE, high byte first), no closing flag."""
    body = [addr, ctrl] + list(info)
    crc = 0xFFFF
    for b in body:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    crc ^= fcs_xor
    out = [0x7E]
    for b in body + [crc >> 8, crc & 0xFF]:
        out += [0x7D, b ^ 0x20] if b in (0x7D, 0x7E) else [b]
    return out


async def start(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.in_valid.value = 0
    dut.in_byte.value = 0
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    await FallingEdge(dut.clk)


async def send(dut, data):
    """Send bytes one per cycle; return the content bytes forwarded on out_byte."""
    out = []
    for b in data:
        dut.in_valid.value = 1
        dut.in_byte.value = b
        await FallingEdge(dut.clk)
        if dut.out_valid.value:
            out.append(int(dut.out_byte.value))
    dut.in_valid.value = 0
    await FallingEdge(dut.clk)
    return out


@cocotb.test()
async def test_good_frame(dut):
    await start(dut)
    assert dut.in_frame.value == 0
    out = await send(dut, [0x55, 0x7E, 0x7E] + frame(0x03, 0x10, [0x11, 0x7E, 0x7D, 0x22]) + [0x7E])
    assert out == [0x03, 0x10, 0x11, 0x7E, 0x7D, 0x22]
    assert dut.in_frame.value == 1 and dut.good_cnt.value == 1 and dut.bad_cnt.value == 0
    assert dut.frame_addr.value == 0x03 and dut.frame_ctrl.value == 0x10 and dut.frame_len.value == 6


@cocotb.test()
async def test_frame_fields(dut):
    await start(dut)
    for addr, ctrl, n in ((0xFF, 0x00, 31), (0x00, 0xFF, 28), (0x7E, 0x7D, 3), (0x03, 0x00, 0)):
        info = [(i * 37) & 0xFF for i in range(n)]
        out = await send(dut, frame(addr, ctrl, info) + [0x7E])
        assert out == [addr, ctrl] + info
        assert dut.frame_addr.value == addr and dut.frame_ctrl.value == ctrl
        assert dut.frame_len.value == n + 2
    assert dut.good_cnt.value == 4


@cocotb.test()
async def test_raw_escapes(dut):
    await start(dut)
    # 7D 7D: the second ESC is data (0x5D); 7D 41 is 0x61
    out = await send(dut, [0x7E, 0x7D, 0x7D, 0x7D, 0x41, 0x01, 0x02, 0x03, 0x7E])
    assert out == [0x5D, 0x61, 0x01]
    assert dut.bad_cnt.value == 1 and dut.err_code.value == 2   # FCS is wrong


@cocotb.test()
async def test_bad_fcs(dut):
    await start(dut)
    for x in (0x0001, 0x8000, 0xFFFF):
        await send(dut, frame(0x01, 0x02, [0x33, 0x44], fcs_xor=x) + [0x7E])
        assert dut.err_code.value == 2
    assert dut.bad_cnt.value == 3 and dut.good_cnt.value == 0


@cocotb.test()
async def test_abort_and_short(dut):
    await start(dut)
    await send(dut, [0x7E, 0x01, 0x02, 0x7D, 0x7E])     # abort; the 7E opens the next frame
    assert dut.err_code.value == 3 and dut.bad_cnt.value == 1
    await send(dut, [0x01, 0x02, 0x03, 0x7E])           # three content bytes: too short
    assert dut.err_code.value == 0 and dut.bad_cnt.value == 2
    await send(dut, [0x7E, 0x7E, 0x7E])                 # idle flags: no verdict
    assert dut.bad_cnt.value == 2
    await send(dut, frame(0x05, 0x06, [])[1:] + [0x7E])  # good frame right after
    assert dut.good_cnt.value == 1


@cocotb.test()
async def test_too_long(dut):
    await start(dut)
    await send(dut, [0x7E] + list(range(1, 36)))        # 35 content bytes: still fine
    assert dut.bad_cnt.value == 0 and dut.in_frame.value == 1
    await send(dut, [0x24])                             # the 36th: rejected, skip to a flag
    assert dut.err_code.value == 1 and dut.bad_cnt.value == 1 and dut.in_frame.value == 0
    out = await send(dut, [0x7D, 0x01, 0x02, 0x03])
    assert out == [] and dut.in_frame.value == 0
    await send(dut, frame(0x09, 0x0A, [0x0B]) + [0x7E])
    assert dut.good_cnt.value == 1 and dut.bad_cnt.value == 1


@cocotb.test()
async def test_counters_wrap(dut):
    await start(dut)
    for i in range(256):
        await send(dut, frame(0x01, 0x02, []))
        await send(dut, [0x7E, 0x01])                   # good frame closed, then a short one
        assert dut.good_cnt.value == (i + 1) % 256 and dut.bad_cnt.value == i
    await send(dut, [0x7E])                             # closes the last short frame
    assert dut.good_cnt.value == 0 and dut.bad_cnt.value == 0
