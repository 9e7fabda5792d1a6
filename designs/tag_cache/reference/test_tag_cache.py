"""Reference testbench for tag_cache: miss/fill/hit, pseudo-LRU eviction, probe, invalidate, flush, counters, streams."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

LOOKUP, PROBE, INVAL, FLUSH = range(4)


async def start(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst_n.value = 0
    for name in ("req_valid", "req_op", "req_tag", "fill_valid", "fill_data"):
        getattr(dut, name).value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    await FallingEdge(dut.clk)


async def access(dut, op, tag, fill=None):
    """One request; return the response (hit, way, data). With `fill`, the miss is filled next cycle."""
    dut.req_valid.value, dut.req_op.value, dut.req_tag.value = 1, op, tag
    await FallingEdge(dut.clk)
    dut.req_valid.value = 0
    assert int(dut.rsp_valid.value) == 1
    rsp = (int(dut.rsp_hit.value), int(dut.rsp_way.value), int(dut.rsp_data.value))
    if fill is not None:
        assert int(dut.req_ready.value) == 0, "a LOOKUP miss waits for its fill"
        dut.fill_valid.value, dut.fill_data.value = 1, fill
        await FallingEdge(dut.clk)
        dut.fill_valid.value = 0
        assert int(dut.req_ready.value) == 1
    return rsp


@cocotb.test()
async def test_miss_fill_hit(dut):
    await start(dut)
    dut.fill_valid.value = 1                          # no miss waits: ignored
    await FallingEdge(dut.clk)
    dut.fill_valid.value = 0
    assert await access(dut, LOOKUP, 0x123) == (0, 0, 0)
    assert int(dut.req_ready.value) == 0 and int(dut.miss_cnt.value) == 1
    dut.req_valid.value = 1                           # not taken while waiting
    await FallingEdge(dut.clk)
    assert int(dut.rsp_valid.value) == 0
    dut.req_valid.value, dut.fill_valid.value, dut.fill_data.value = 0, 1, 0xAB
    await FallingEdge(dut.clk)
    dut.fill_valid.value = 0
    assert int(dut.req_ready.value) == 1 and int(dut.evict_valid.value) == 0
    assert await access(dut, LOOKUP, 0x123) == (1, 0, 0xAB)
    assert int(dut.hit_cnt.value) == 1 and int(dut.full.value) == 0


@cocotb.test()
async def test_plru_eviction(dut):
    await start(dut)
    for way, tag in enumerate((0xA00, 0xB00, 0xC00, 0xD00)):
        assert await access(dut, LOOKUP, tag, fill=way + 1) == (0, 0, 0)
    assert int(dut.full.value) == 1
    assert await access(dut, LOOKUP, 0xA00) == (1, 0, 1)   # way 0 used: victim is now in ways 2/3
    await access(dut, LOOKUP, 0xE00, fill=5)
    assert int(dut.evict_valid.value) == 1 and int(dut.evict_tag.value) == 0xC00
    await access(dut, LOOKUP, 0xF00, fill=6)
    assert int(dut.evict_valid.value) == 1 and int(dut.evict_tag.value) == 0xB00
    assert await access(dut, LOOKUP, 0xD00) == (1, 3, 4)
    await access(dut, LOOKUP, 0x100, fill=7)
    assert int(dut.evict_tag.value) == 0xA00 and int(dut.evict_cnt.value) == 3
    assert await access(dut, LOOKUP, 0xF00) == (1, 1, 6)
    assert await access(dut, LOOKUP, 0x100) == (1, 0, 7)


@cocotb.test()
async def test_probe(dut):
    await start(dut)
    await access(dut, LOOKUP, 0x5A5, fill=0x3C)
    assert await access(dut, PROBE, 0x5A5) == (1, 0, 0x3C)
    assert await access(dut, PROBE, 0x777) == (0, 0, 0)
    assert int(dut.req_ready.value) == 1               # a probe miss does not wait for a fill
    assert int(dut.hit_cnt.value) == 0 and int(dut.miss_cnt.value) == 1


@cocotb.test()
async def test_invalidate_and_flush(dut):
    await start(dut)
    for tag in (0x011, 0x022, 0x033, 0x044):
        await access(dut, LOOKUP, tag, fill=tag)
    for tag, way in ((0x033, 2), (0x011, 0), (0x022, 1), (0x044, 3)):
        assert await access(dut, INVAL, tag) == (1, way, tag)
        assert int(dut.full.value) == 0
        await access(dut, LOOKUP, tag + 0x100, fill=0x99)   # refills the freed way, no eviction
        assert int(dut.evict_valid.value) == 0 and int(dut.full.value) == 1
    assert await access(dut, INVAL, 0x033) == (0, 0, 0)    # already gone
    assert await access(dut, FLUSH, 0x144) == (1, 3, 0x99)
    assert int(dut.full.value) == 0
    assert await access(dut, PROBE, 0x144) == (0, 0, 0)


@cocotb.test()
async def test_counters(dut):
    await start(dut)
    rng = random.Random(7)
    data = {}
    for _ in range(132):
        tag = rng.getrandbits(12)
        if (await access(dut, PROBE, tag))[0] == 0:
            data[tag] = rng.getrandbits(8)
            await access(dut, LOOKUP, tag, fill=data[tag])
        hit, _, got = await access(dut, LOOKUP, tag)
        assert hit == 1 and got == data[tag]
    assert int(dut.hit_cnt.value) == 132 and int(dut.miss_cnt.value) == 132
    assert int(dut.evict_cnt.value) == 128
    dut.rst_n.value = 0
    await FallingEdge(dut.clk)
    assert int(dut.hit_cnt.value) == 0 and int(dut.evict_cnt.value) == 0


@cocotb.test()
async def test_stream_prefetch(dut):
    await start(dut)
    for tag in (0x100, 0x104, 0x108):
        await access(dut, LOOKUP, tag, fill=0)
    assert int(dut.stream_cnt.value) == 0
    await access(dut, LOOKUP, 0x10C, fill=0)              # third equal stride: hint
    assert int(dut.stream_cnt.value) == 1
    assert int(dut.pf_tag.value) == 0x110 and int(dut.pf_stride.value) == 0x004
    await access(dut, LOOKUP, 0x10C)                      # a hit does not disturb the stream
    await access(dut, PROBE, 0x200)                       # nor does a probe miss
    await access(dut, LOOKUP, 0x110, fill=0)
    assert int(dut.stream_cnt.value) == 2 and int(dut.pf_tag.value) == 0x114
    await access(dut, LOOKUP, 0x200, fill=0)              # stride broken
    await access(dut, LOOKUP, 0x204, fill=0)
    await access(dut, LOOKUP, 0x208, fill=0)
    assert int(dut.stream_cnt.value) == 2
    for i in range(1, 6):                                 # downward stream through zero
        await access(dut, LOOKUP, (0x208 - i * 0x0F1) & 0xFFF, fill=0)
    assert int(dut.stream_cnt.value) == 5
    assert int(dut.pf_tag.value) == (0x208 - 6 * 0x0F1) & 0xFFF and int(dut.pf_stride.value) == 0xF0F


@cocotb.test()
async def test_stream_counter(dut):
    await start(dut)
    for n, (first, stride) in enumerate(((0x000, 0x004), (0x800, 0xF0F), (0x123, 0x0F0), (0xFF0, 0x001))):
        await access(dut, FLUSH, 0)
        for i in range(36):                               # 36 misses in a row: 33 hints
            await access(dut, LOOKUP, (first + i * stride) & 0xFFF, fill=i)
        assert int(dut.stream_cnt.value) == 33 * (n + 1)
        assert int(dut.pf_stride.value) == stride
    dut.rst_n.value = 0
    await FallingEdge(dut.clk)
    assert int(dut.stream_cnt.value) == 0 and int(dut.pf_tag.value) == 0
