"""Reference testbench for cam_lookup: write/invalidate, hit/miss/index, multiple hits, invalidate-all, reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

N = 8


class Model:
    def __init__(self):
        self.reset()

    def reset(self):
        self.key = [0] * N
        self.valid = [0] * N
        self.res = (0, 0, 0, 0)   # lk_done, hit, hit_idx, multi_hit
        self.mh_err = 0

    def step(self, wr_en, wr_idx, wr_key, wr_valid, inv_all, lk_en, lk_key):
        matches = [i for i in range(N) if self.valid[i] and self.key[i] == lk_key]
        _, hit, idx, multi = self.res
        if lk_en:
            hit, idx, multi = int(bool(matches)), (matches[0] if matches else 0), int(len(matches) > 1)
        self.res = (lk_en, hit, idx, multi)
        if lk_en and len(matches) > 1:
            self.mh_err = 1
        elif inv_all:
            self.mh_err = 0
        if inv_all:
            self.valid = [0] * N
        elif wr_en:
            self.key[wr_idx] = wr_key
            self.valid[wr_idx] = wr_valid


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.m = Model()
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def idle(self):
        d = self.dut
        for s in (d.wr_en, d.wr_idx, d.wr_key, d.wr_valid, d.inv_all, d.lk_en, d.lk_key):
            s.value = 0

    async def reset(self):
        self.idle()
        self.dut.rst_n.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.dut.rst_n.value = 1
        self.m.reset()
        await FallingEdge(self.dut.clk)
        self.check()

    def check(self):
        d, m = self.dut, self.m
        got = (int(d.lk_done.value), int(d.hit.value), int(d.hit_idx.value), int(d.multi_hit.value))
        assert got == m.res, f"lookup result {got} != {m.res}"
        assert int(d.mh_err.value) == m.mh_err, "mh_err"
        assert int(d.valid_o.value) == sum(v << i for i, v in enumerate(m.valid)), "valid_o"

    async def cycle(self, wr_en=0, wr_idx=0, wr_key=0, wr_valid=1, inv_all=0, lk_en=0, lk_key=0):
        d = self.dut
        d.wr_en.value = wr_en
        d.wr_idx.value = wr_idx
        d.wr_key.value = wr_key
        d.wr_valid.value = wr_valid
        d.inv_all.value = inv_all
        d.lk_en.value = lk_en
        d.lk_key.value = lk_key
        await RisingEdge(d.clk)
        self.m.step(wr_en, wr_idx, wr_key, wr_valid, inv_all, lk_en, lk_key)
        await FallingEdge(d.clk)
        self.idle()
        self.check()

    async def write(self, idx, key, valid=1):
        await self.cycle(wr_en=1, wr_idx=idx, wr_key=key, wr_valid=valid)

    async def lookup(self, key):
        await self.cycle(lk_en=1, lk_key=key)
        d = self.dut
        return int(d.hit.value), int(d.hit_idx.value), int(d.multi_hit.value)


@cocotb.test()
async def test_lookup(dut):
    tb = TB(dut)
    await tb.reset()
    assert await tb.lookup(0x0000) == (0, 0, 0)        # empty table: stored zeros are not valid
    keys = [0x1234, 0xBEEF, 0x0F0F, 0xF0F0, 0xA5A5, 0x5A5A, 0x8001, 0x7FFE]
    for i, k in enumerate(keys):
        await tb.write(i, k)
    for i, k in enumerate(keys):
        assert await tb.lookup(k) == (1, i, 0)
        assert await tb.lookup(k ^ 0x0100) == (0, 0, 0)
    # every key bit through both values in every entry
    for i in range(N):
        await tb.write(i, 0xFFFF)
        await tb.write(i, 0x0000)
        await tb.write(i, keys[i])
    # duplicates: multiple hit, lowest index reported, sticky mh_err
    await tb.write(6, keys[2])
    assert await tb.lookup(keys[2]) == (1, 2, 1)
    assert int(dut.mh_err.value) == 1
    await tb.write(7, keys[2])
    await tb.write(2, keys[2], valid=0)                 # single-entry invalidate
    assert await tb.lookup(keys[2]) == (1, 6, 1)
    await tb.write(6, 0x0000, valid=0)
    assert await tb.lookup(keys[2]) == (1, 7, 0)
    # lookup and write in the same cycle: the lookup sees the old table
    await tb.cycle(wr_en=1, wr_idx=0, wr_key=0xCAFE, lk_en=1, lk_key=0xCAFE)
    assert int(dut.hit.value) == 0
    assert await tb.lookup(0xCAFE) == (1, 0, 0)
    # results hold between lookups
    await tb.cycle()
    await tb.cycle()
    # invalidate-all: clears valid and mh_err; takes priority over a write
    await tb.cycle(inv_all=1, wr_en=1, wr_idx=3, wr_key=0x3333)
    assert int(dut.valid_o.value) == 0 and int(dut.mh_err.value) == 0
    assert await tb.lookup(0x3333) == (0, 0, 0)
    # multi-hit lookup in the same cycle as invalidate-all: the error is still recorded
    await tb.write(1, 0x4444)
    await tb.write(5, 0x4444)
    await tb.cycle(inv_all=1, lk_en=1, lk_key=0x4444)
    assert int(dut.mh_err.value) == 1 and int(dut.multi_hit.value) == 1
    # a hit in each entry alone, all identical keys
    for i in range(N):
        await tb.write(i, 0x9999)
    assert await tb.lookup(0x9999) == (1, 0, 1)
    for i in range(N - 1):
        await tb.write(i, 0, valid=0)
        assert await tb.lookup(0x9999) == (1, i + 1, int(i + 1 < N - 1))


@cocotb.test()
async def test_random_and_reset(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(41)
    pool = [rng.getrandbits(16) for _ in range(12)]      # small key pool: duplicates and hits happen
    for _ in range(500):
        r = rng.random()
        if r < 0.35:
            await tb.write(rng.randrange(N), rng.choice(pool), valid=int(rng.random() < 0.85))
        elif r < 0.9:
            key = rng.choice(pool) if rng.random() < 0.8 else rng.getrandbits(16)
            await tb.cycle(lk_en=1, lk_key=key, wr_en=int(rng.random() < 0.2), wr_idx=rng.randrange(N),
                           wr_key=rng.choice(pool))
        elif r < 0.93:
            await tb.cycle(inv_all=1)
        else:
            await tb.cycle()
    # reset with a populated table and a sticky error
    for i in range(N):
        await tb.write(i, 0x2222)
    await tb.lookup(0x2222)
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 1)
    dut.rst_n.value = 1
    tb.m.reset()
    await FallingEdge(dut.clk)
    tb.check()
    assert await tb.lookup(0x2222) == (0, 0, 0)
