"""Reference testbench for cmd_parser: good frames of every opcode/length, every error path, timeout."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer

SYNC = 0x7E
OPCODES = {0xA1: 0, 0xA2: 1, 0xB0: 2, 0xC5: 3}
HUNT, OPC, LEN, PLD, CHK = range(5)


class Model:
    def __init__(self):
        self.pld = [None] * 8
        self.reset()

    def reset(self):
        self.state = HUNT
        self.op = self.ln = self.cnt = self.chk = self.idle = 0
        self.cmd_valid = self.cmd_op = self.cmd_len = 0
        self.err_valid = self.err_code = self.err_flags = 0

    def fail(self, code):
        self.err_valid, self.err_code = 1, code
        self.err_flags |= 1 << code
        self.state = HUNT

    def step(self, valid, data, err_clr):
        self.cmd_valid = self.err_valid = 0
        if err_clr:
            self.err_flags = 0
        in_frame = self.state != HUNT
        timeout = in_frame and not valid and self.idle == 299
        self.idle = 0 if (not in_frame or valid) else self.idle + 1
        if timeout:
            self.fail(3)
        elif valid:
            if self.state == HUNT:
                if data == SYNC:
                    self.state = OPC
            elif self.state == OPC:
                if data in OPCODES:
                    self.op, self.chk, self.state = OPCODES[data], data, LEN
                else:
                    self.fail(0)
            elif self.state == LEN:
                if data > 8:
                    self.fail(1)
                else:
                    self.ln, self.cnt, self.chk = data, 0, self.chk ^ data
                    self.state = CHK if data == 0 else PLD
            elif self.state == PLD:
                self.pld[self.cnt] = data
                self.chk ^= data
                self.cnt += 1
                if self.cnt == self.ln:
                    self.state = CHK
            else:
                if data == self.chk:
                    self.cmd_valid, self.cmd_op, self.cmd_len = 1, self.op, self.ln
                    self.state = HUNT
                else:
                    self.fail(2)


def frame(opcode, payload, chk_xor=0, length=None):
    ln = len(payload) if length is None else length
    chk = opcode ^ ln
    for b in payload:
        chk ^= b
    return [SYNC, opcode, ln] + list(payload) + [chk ^ chk_xor]


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.m = Model()
        self.rng = random.Random(11)
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        d = self.dut
        d.rst_n.value = 0
        d.rx_valid.value = 0
        d.rx_data.value = 0
        d.rd_idx.value = 0
        d.err_clr.value = 0
        await ClockCycles(d.clk, 2)
        d.rst_n.value = 1
        self.m.reset()
        await FallingEdge(d.clk)
        self.check()

    def check(self):
        d, m = self.dut, self.m
        assert int(d.cmd_valid.value) == m.cmd_valid, "cmd_valid"
        assert int(d.err_valid.value) == m.err_valid, "err_valid"
        assert int(d.err_code.value) == m.err_code, "err_code"
        assert int(d.err_flags.value) == m.err_flags, "err_flags"
        assert int(d.in_frame.value) == int(m.state != HUNT), "in_frame"
        if m.cmd_valid:
            assert int(d.cmd_op.value) == m.cmd_op, "cmd_op"
            assert int(d.cmd_len.value) == m.cmd_len, "cmd_len"

    async def cycle(self, valid=0, data=0, err_clr=0):
        d = self.dut
        d.rx_valid.value = valid
        d.rx_data.value = data if valid else self.rng.randint(0, 255)
        d.err_clr.value = err_clr
        await RisingEdge(d.clk)
        self.m.step(valid, data, err_clr)
        await FallingEdge(d.clk)
        self.check()

    async def send(self, data, gap=0):
        for i, b in enumerate(data):
            for _ in range(gap if i else 0):
                await self.cycle()
            await self.cycle(1, b)

    async def read_payload(self):
        for i in range(self.m.cmd_len):
            self.dut.rd_idx.value = i
            await Timer(1, unit="ns")
            assert int(self.dut.rd_data.value) == self.m.pld[i], f"payload[{i}]"


@cocotb.test()
async def test_good_frames(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(5)
    for i, op in enumerate(list(OPCODES) * 3):
        ln = (i * 3) % 9
        pl = [rng.randint(0, 255) for _ in range(ln)]
        await tb.send([rng.choice([0x00, 0x7D, 0xFF])] + frame(op, pl), gap=i % 2)
        assert tb.m.cmd_valid and tb.m.cmd_op == OPCODES[op] and tb.m.cmd_len == ln
        await tb.read_payload()
    # full-length frames with complementing payloads (toggle every buffer bit both ways)
    for fill in (0xFF, 0x00, 0xA5, 0x5A):
        await tb.send(frame(0xA2, [fill] * 8))
        await tb.read_payload()
    # SYNC byte used as payload and checksum value, back-to-back frames
    await tb.send(frame(0xB0, [0x7E, 0x7E]) + frame(0xC5, []))
    assert tb.m.cmd_valid


@cocotb.test()
async def test_errors(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.send([SYNC, 0xA3])                       # bad opcode
    assert tb.m.err_valid and tb.m.err_code == 0
    await tb.send([SYNC, 0x7E])                       # SYNC where the opcode goes is also bad
    await tb.send([SYNC, 0xA1, 9])                    # bad length
    assert tb.m.err_code == 1
    await tb.send([SYNC, 0xA1, 0xF0])
    await tb.send(frame(0xA1, [1, 2, 3], chk_xor=0x80))   # bad checksum
    assert tb.m.err_code == 2
    assert tb.m.err_flags == 0b0111
    await tb.cycle(err_clr=1)
    assert tb.m.err_flags == 0
    # timeout in each in-frame state; the last one just before expiry is rescued by a byte
    for prefix in ([SYNC], [SYNC, 0xA2], [SYNC, 0xA2, 2], [SYNC, 0xA2, 2, 0x11], [SYNC, 0xC5, 0]):
        await tb.send(prefix)
        for _ in range(300):
            await tb.cycle()
        assert tb.m.err_valid and tb.m.err_code == 3
    await tb.send([SYNC, 0xA1])
    for _ in range(299):
        await tb.cycle()
    await tb.send([1, 0x55, 0xA1 ^ 1 ^ 0x55])
    assert tb.m.cmd_valid
    # error with err_clr on the same edge
    await tb.cycle(1, SYNC)
    await tb.cycle(1, 0x00, err_clr=1)
    assert tb.m.err_flags == 1
    # random bytes, including occasional good frames
    rng = random.Random(9)
    for _ in range(40):
        if rng.random() < 0.3:
            await tb.send(frame(rng.choice(list(OPCODES)), [rng.randint(0, 255) for _ in range(rng.randint(0, 8))],
                                chk_xor=rng.choice([0, 0, 1])))
        else:
            await tb.cycle(int(rng.random() < 0.7), rng.choice([SYNC, rng.randint(0, 255)]), int(rng.random() < 0.05))
    # reset in the middle of a frame
    await tb.send([SYNC, 0xA1, 4, 9])
    await tb.reset()
    await tb.send([0xA1, 0, 0xA1])          # not a frame: no SYNC after reset
    assert tb.m.cmd_valid == 0 and tb.m.state == HUNT
    await tb.send(frame(0xC5, [0x3C]))
    assert tb.m.cmd_valid
