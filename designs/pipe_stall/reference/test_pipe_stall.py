"""Reference testbench for pipe_stall: cycle-accurate model of the 4-stage valid/ready pipe, an
order-preserving functional scoreboard, full stalls, flushes (including a flushed SETKEY), the magic
SETKEY opcode 0xA5 with key readback, and reset mid-run."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, Timer

SETKEY = 0xA5
M = 0xFFFF


def execute(op, data, key):
    """Functional result of one command: (out_data, out_special, new_key)."""
    if op == SETKEY:
        return key, 1, data
    fn = op & 7
    val = [
        data,
        (data + 1) & M,
        ~data & M,
        ((data & 0xFF) << 8) | (data >> 8),
        (data << 1) & M,
        data >> 1,
        data ^ key,
        (data + key) & M,
    ][fn]
    return val, 0, key


class Model:
    """Stage-level model: each stage holds the accepted command (op, data) or None."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.st = [None, None, None]  # S1..S3 commands
        self.s4 = None                # committed (data, special) or None
        self.last_out = (0, 0)        # S4 payload keeps its value when emptied
        self.key = 0

    def readies(self, out_ready):
        r4 = self.s4 is None or out_ready
        r3 = self.st[2] is None or r4
        r2 = self.st[1] is None or r3
        r1 = self.st[0] is None or r2
        return r1, r2, r3, r4

    def in_ready(self, out_ready, flush):
        return int(self.readies(out_ready)[0] and not flush)

    def clock(self, in_valid, op, data, out_ready, flush):
        """Advance one edge; return the result popped on the output port this cycle (or None)."""
        r1, r2, r3, r4 = self.readies(out_ready)
        popped = self.s4 if (self.s4 is not None and out_ready) else None
        if r4:
            if self.st[2] is not None and not flush:
                d, sp, self.key = execute(*self.st[2], self.key)
                self.s4 = (d, sp)
                self.last_out = self.s4
            else:
                self.s4 = None
        if flush:
            self.st = [None, None, None]
        else:
            if r3:
                self.st[2] = self.st[1]
            if r2:
                self.st[1] = self.st[0]
            if r1:
                self.st[0] = (op, data) if in_valid else None
        return popped


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.m = Model()
        self.accepted = []   # commands accepted and not (yet) known to be flushed
        self.results = []    # results popped from the output port
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        d = self.dut
        d.rst_n.value = 0
        d.flush.value = 0
        d.in_valid.value = 0
        d.in_op.value = 0
        d.in_data.value = 0
        d.out_ready.value = 0
        await ClockCycles(d.clk, 2)
        await FallingEdge(d.clk)
        d.rst_n.value = 1
        self.m.reset()
        self.check_outputs()

    def check_outputs(self):
        d, m = self.dut, self.m
        assert int(d.out_valid.value) == int(m.s4 is not None), "out_valid mismatch"
        data, sp = m.s4 if m.s4 is not None else m.last_out
        assert int(d.out_data.value) == data, f"out_data {int(d.out_data.value):04x} != {data:04x}"
        assert int(d.out_special.value) == sp, "out_special mismatch"

    async def cycle(self, in_valid=0, op=0, data=0, out_ready=1, flush=0):
        """Drive after a falling edge, check the combinational in_ready, clock, check the outputs."""
        d = self.dut
        d.in_valid.value = in_valid
        d.in_op.value = op
        d.in_data.value = data
        d.out_ready.value = out_ready
        d.flush.value = flush
        await Timer(1, unit="ns")
        exp_rdy = self.m.in_ready(out_ready, flush)
        assert int(d.in_ready.value) == exp_rdy, f"in_ready {int(d.in_ready.value)} != {exp_rdy}"
        accepted = in_valid and exp_rdy
        await FallingEdge(d.clk)
        popped = self.m.clock(in_valid, op, data, out_ready, flush)
        if popped is not None:
            self.results.append(popped)
        self.check_outputs()
        return accepted

    async def drain(self, limit=20):
        for _ in range(limit):
            if all(s is None for s in self.m.st) and self.m.s4 is None:
                break
            await self.cycle()
        assert int(self.dut.out_valid.value) == 0

    async def setkey(self, value):
        """Load the key and return the previous one (read back through out_data)."""
        await self.drain()
        self.results.clear()
        assert await self.cycle(1, SETKEY, value)
        await self.drain()
        (old, special), = self.results
        assert special == 1
        self.results.clear()
        return old


@cocotb.test()
async def test_stream_in_order(dut):
    """No flush: every accepted command produces exactly one result, in order, one per cycle."""
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(0x5A11)
    cmds = []
    for i in range(400):
        op = SETKEY if i % 37 == 5 else rng.randrange(256)
        cmd = (op, rng.randrange(0x10000))
        if await tb.cycle(1, *cmd, out_ready=1):
            cmds.append(cmd)
    await tb.drain()
    assert len(cmds) == 400, "stream with out_ready=1 must never stall"
    key, exp = 0, []
    for op, data in cmds:
        r, sp, key = execute(op, data, key)
        exp.append((r, sp))
    assert tb.results == exp
    assert key == tb.m.key


@cocotb.test()
async def test_full_stall_and_release(dut):
    """out_ready low: the pipe takes exactly four commands, then in_ready falls; release drains in order."""
    tb = TB(dut)
    await tb.reset()
    taken = 0
    for i in range(10):
        taken += bool(await tb.cycle(1, i, 0x1000 + i, out_ready=0))
    assert taken == 4 and int(dut.in_ready.value) == 0
    # release with in_valid still high: one result out and one command in per cycle
    for i in range(10, 20):
        await tb.cycle(1, i & 7, 0x2000 + i, out_ready=1)
    await tb.drain()
    assert [r for r, _ in tb.results[:4]] == [0x1000, 0x1002, (~0x1002) & M, 0x0310]


@cocotb.test()
async def test_setkey_and_key_ops(dut):
    """The magic opcode loads the key (returning the previous one); XORK/ADDK use it; other ops ignore
    opcode bits [7:3]; near-miss opcodes behave as ordinary commands."""
    tb = TB(dut)
    await tb.reset()
    assert await tb.setkey(0xFFFF) == 0x0000
    assert await tb.setkey(0x0000) == 0xFFFF
    assert await tb.setkey(0xA55A) == 0x0000
    assert await tb.setkey(0x5AA5) == 0xA55A
    for op in (0xA4, 0xA6, 0xA7, 0x25, 0xE5, 0xB5, 0xAD):  # near misses of 0xA5
        await tb.cycle(1, op, 0x1234)
    await tb.drain()
    key = 0x5AA5
    assert tb.results == [execute(op, 0x1234, key)[:2] for op in (0xA4, 0xA6, 0xA7, 0x25, 0xE5, 0xB5, 0xAD)]
    # SETKEY immediately followed by key users: they must see the new key
    tb.results.clear()
    await tb.cycle(1, SETKEY, 0x0F0F)
    await tb.cycle(1, 0x06, 0xFFFF)
    await tb.cycle(1, 0x07, 0x0001)
    await tb.drain()
    assert tb.results == [(0x5AA5, 1), (0xF0F0, 0), (0x0F10, 0)]


@cocotb.test()
async def test_flush(dut):
    """Flush drops S1..S3 (a SETKEY among them has no effect), keeps S4, and blocks input that cycle."""
    tb = TB(dut)
    await tb.reset()
    await tb.setkey(0x1111)
    # stall so commands pile up: S4 holds 0xAAAA, SETKEY sits behind it
    await tb.cycle(1, 0x00, 0xAAAA, out_ready=0)
    await tb.cycle(1, SETKEY, 0x2222, out_ready=0)
    await tb.cycle(1, 0x00, 0xBBBB, out_ready=0)
    await tb.cycle(1, 0x00, 0xCCCC, out_ready=0)
    assert not await tb.cycle(1, 0x00, 0xDDDD, out_ready=0, flush=1)
    await tb.drain()
    assert tb.results == [(0xAAAA, 0)]
    assert await tb.setkey(0x3333) == 0x1111, "flushed SETKEY must not write the key"
    # flush while streaming, and a flush of an empty pipe
    tb.results.clear()
    for i in range(6):
        await tb.cycle(1, 0x01, i, out_ready=1, flush=int(i == 3))
    await tb.drain()
    await tb.cycle(0, flush=1)
    # commands 0..2 were in S1..S3 when the flush hit, 3 was refused: only 4 and 5 complete
    assert [r for r, _ in tb.results] == [5, 6]


@cocotb.test()
async def test_random_traffic(dut):
    """Random valid, backpressure, flush and opcodes (SETKEY injected often) against the model."""
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(0xF1A5)
    for i in range(1500):
        op = SETKEY if rng.random() < 0.08 else rng.randrange(256)
        await tb.cycle(int(rng.random() < 0.7), op, rng.randrange(0x10000),
                       out_ready=int(rng.random() < 0.6), flush=int(rng.random() < 0.03))
        if i == 900:
            # asynchronous reset with the pipe partly full and a non-zero key
            dut.rst_n.value = 0
            await Timer(2, unit="ns")
            dut.rst_n.value = 1
            tb.m.reset()
            await Timer(1, unit="ns")
            tb.check_outputs()
    await tb.drain()
