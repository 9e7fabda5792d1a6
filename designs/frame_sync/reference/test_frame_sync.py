"""Reference testbench for frame_sync: hunt, verify, lock, byte output, misses, slips, counters, rehunt."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

SYNC = 0xEB90
HUNT, VERIFY, LOCKED = 0, 1, 2


async def start(dut, lock=False):
    """Clock, reset; with lock=True also send a sync word and two frames so the aligner locks."""
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst_n.value = 0
    dut.bit_valid.value = 0
    dut.bit_in.value = 0
    dut.rehunt.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    await FallingEdge(dut.clk)
    if lock:
        await send(dut, SYNC, 16)
        await send(dut, frame([0] * 6), 64)
        await send(dut, frame([0] * 6), 64)
        assert int(dut.sync_state.value) == LOCKED


async def send(dut, value, nbits):
    """Shift the nbits low bits of value in, MSB first, one per cycle; return the bytes put out."""
    got = []
    for i in reversed(range(nbits)):
        dut.bit_valid.value = 1
        dut.bit_in.value = (value >> i) & 1
        await FallingEdge(dut.clk)
        if int(dut.byte_valid.value):
            got.append(int(dut.byte_out.value))
    dut.bit_valid.value = 0
    return got


def frame(payload, sync=SYNC):
    """64 bits: six payload bytes, then the sync word that closes the frame."""
    return (int.from_bytes(bytes(payload), "big") << 16) | sync


@cocotb.test()
async def test_hunt_verify_lock(dut):
    await start(dut)
    await send(dut, 0x5A3C_F00F, 32)                 # noise: no sync word in it
    assert int(dut.sync_state.value) == HUNT
    await send(dut, SYNC, 16)
    assert int(dut.sync_state.value) == VERIFY
    await ClockCycles(dut.clk, 5, rising=False)      # idle cycles (bit_valid low) change nothing
    await send(dut, frame([1, 2, 3, 4, 5, 6]) >> 1, 63)  # one bit short of the boundary
    assert int(dut.sync_state.value) == VERIFY and int(dut.frame_ok.value) == 0
    await send(dut, SYNC & 1, 1)
    assert int(dut.frame_ok.value) == 1 and int(dut.sync_state.value) == VERIFY
    got = await send(dut, frame([7, 8, 9, 10, 11, 12]), 64)
    assert int(dut.sync_state.value) == LOCKED and int(dut.frame_ok.value) == 1
    assert got == [] and int(dut.frame_cnt.value) == 0   # no bytes before lock


@cocotb.test()
async def test_payload_bytes(dut):
    await start(dut, lock=True)
    for payload in ([0x00, 0xFF, 0x55, 0xAA, 0x0F, 0xF0], [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC], [0] * 6):
        got = await send(dut, frame(payload), 64)
        assert got == payload, f"bytes {got} != {payload}"
        assert int(dut.frame_ok.value) == 1
    assert int(dut.frame_cnt.value) == 3 and int(dut.sync_miss.value) == 0


@cocotb.test()
async def test_verify_miss_returns_to_hunt(dut):
    await start(dut)
    await send(dut, SYNC, 16)
    await send(dut, frame([0] * 6), 64)
    assert int(dut.sync_state.value) == VERIFY
    await send(dut, frame([0] * 6, sync=SYNC ^ 0x0100), 64)   # one bit wrong in the second check
    assert int(dut.sync_miss.value) == 1 and int(dut.sync_state.value) == HUNT
    await send(dut, SYNC, 16)
    await send(dut, frame([0] * 6, sync=0x0000), 64)
    assert int(dut.sync_state.value) == HUNT and int(dut.slip_cnt.value) == 0


@cocotb.test()
async def test_single_miss_keeps_lock(dut):
    await start(dut, lock=True)
    got = await send(dut, frame([0xC3] * 6, sync=0x14EF), 64)  # sync word corrupted
    assert got == [0xC3] * 6 and int(dut.sync_miss.value) == 1
    assert int(dut.sync_state.value) == LOCKED and int(dut.miss_run.value) == 1
    got = await send(dut, frame([0x3C] * 6), 64)               # alignment kept: next frame fine
    assert got == [0x3C] * 6 and int(dut.miss_run.value) == 0
    assert int(dut.frame_cnt.value) == 1 and int(dut.slip_cnt.value) == 0


@cocotb.test()
async def test_slips(dut):
    await start(dut)
    for n in range(1, 10):
        await send(dut, SYNC, 16)
        for _ in range(2):
            await send(dut, frame([n] * 6), 64)
        assert int(dut.sync_state.value) == LOCKED and int(dut.miss_run.value) == 0
        for _ in range(2):                                      # two misses in a row
            await send(dut, frame([n] * 6, sync=0xFFFF), 64)
        assert int(dut.sync_state.value) == HUNT
        assert int(dut.slip_cnt.value) == n and int(dut.miss_run.value) == 2
    dut.rst_n.value = 0
    await FallingEdge(dut.clk)
    assert int(dut.slip_cnt.value) == 0 and int(dut.sync_state.value) == HUNT


@cocotb.test()
async def test_frame_counter(dut):
    await start(dut, lock=True)
    for n in range(1, 131):
        await send(dut, frame([n, 0, 0, 0, 0, n]), 64)
    assert int(dut.frame_cnt.value) == 130
    dut.rst_n.value = 0
    await FallingEdge(dut.clk)
    assert int(dut.frame_cnt.value) == 0 and int(dut.byte_out.value) == 0


@cocotb.test()
async def test_rehunt(dut):
    await start(dut, lock=True)
    dut.rehunt.value = 1
    await FallingEdge(dut.clk)
    dut.rehunt.value = 0
    assert int(dut.sync_state.value) == HUNT
    await send(dut, SYNC, 16)
    assert int(dut.sync_state.value) == VERIFY
    dut.rehunt.value = 1
    await send(dut, frame([0] * 6), 64)             # bits are ignored while rehunt is high
    dut.rehunt.value = 0
    assert int(dut.sync_state.value) == HUNT and int(dut.frame_ok.value) == 0


@cocotb.test()
async def test_sync_lost(dut):
    await start(dut)
    await send(dut, 0, 199)
    assert int(dut.sync_lost.value) == 0
    await send(dut, 0, 1)                           # 200 bits without a sync word
    assert int(dut.sync_lost.value) == 1
    await send(dut, 0xFFFF, 16)                     # stays raised
    assert int(dut.sync_lost.value) == 1 and int(dut.sync_state.value) == HUNT
    await send(dut, SYNC, 16)
    assert int(dut.sync_lost.value) == 0 and int(dut.sync_state.value) == VERIFY
