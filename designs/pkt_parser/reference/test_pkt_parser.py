"""Reference testbench for pkt_parser: good packets, every drop reason, counters, clear and reset."""

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

MAG0, MAG1, TYPE, LEN, PAY, CRC, DISCARD = range(7)


def crc8(data, c=0):
    for b in data:
        c ^= b
        for _ in range(8):
            c = ((c << 1) & 0xFF) ^ (0x07 if c & 0x80 else 0)
    return c


def packet(ptype, payload, crc_xor=0, magic=(0xCA, 0xFE), length=None):
    ln = len(payload) if length is None else length
    return list(magic) + [ptype, ln] + list(payload) + [crc8([ptype, ln] + list(payload)) ^ crc_xor]


class Model:
    def __init__(self):
        self.reset()

    def reset(self):
        self.state = MAG0
        self.type = self.len = self.cnt = self.body = 0
        self.buf = []
        self.m_valid = self.m_data = 0
        self.done = self.ok = self.reason = self.ptype = self.plen = 0
        self.acc = self.drp = 0

    def drop(self, reason, last):
        self.done, self.ok, self.reason = 1, 0, reason
        self.drp = (self.drp + 1) % 256
        self.state = MAG0 if last else DISCARD

    def step(self, valid, data, last, clr):
        self.m_valid = self.done = 0
        if valid:
            s = self.state
            if s == MAG0 or s == MAG1:
                if data != (0xCA if s == MAG0 else 0xFE):
                    self.drop(0, last)
                elif last:
                    self.drop(3, last)
                else:
                    self.state = s + 1
            elif s == TYPE:
                if data > 3:
                    self.drop(1, last)
                elif last:
                    self.drop(3, last)
                else:
                    self.type, self.buf, self.state = data, [data], LEN
            elif s == LEN:
                if data > 64:
                    self.drop(2, last)
                elif last:
                    self.drop(3, last)
                else:
                    self.len, self.cnt = data, 0
                    self.buf.append(data)
                    self.state = CRC if data == 0 else PAY
            elif s == PAY:
                self.m_valid, self.m_data = 1, data
                self.buf.append(data)
                self.cnt += 1
                if last:
                    self.drop(3, last)
                elif self.cnt == self.len:
                    self.state = CRC
            elif s == CRC:
                if not last:
                    self.drop(3, last)
                elif data != crc8(self.buf):
                    self.drop(4, last)
                else:
                    self.done, self.ok, self.ptype, self.plen = 1, 1, self.type, self.len
                    self.acc = (self.acc + 1) % 256
                    self.state = MAG0
            elif last:
                self.state = MAG0
        if clr:
            self.acc = self.drp = 0


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.m = Model()
        self.rng = random.Random(2)
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        d = self.dut
        d.rst_n.value = 0
        d.s_valid.value = 0
        d.s_data.value = 0
        d.s_last.value = 0
        d.cnt_clr.value = 0
        await ClockCycles(d.clk, 2)
        d.rst_n.value = 1
        self.m.reset()
        await FallingEdge(d.clk)
        self.check()

    def check(self):
        d, m = self.dut, self.m
        assert int(d.m_valid.value) == m.m_valid, "m_valid"
        if m.m_valid:
            assert int(d.m_data.value) == m.m_data, "m_data"
        assert int(d.pkt_done.value) == m.done, "pkt_done"
        if m.done:
            assert int(d.pkt_ok.value) == m.ok, "pkt_ok"
        assert int(d.drop_reason.value) == m.reason, "drop_reason"
        assert int(d.pkt_type.value) == m.ptype, "pkt_type"
        assert int(d.pkt_len.value) == m.plen, "pkt_len"
        assert int(d.accept_cnt.value) == m.acc, "accept_cnt"
        assert int(d.drop_cnt.value) == m.drp, "drop_cnt"

    async def cycle(self, valid=0, data=0, last=0, clr=0):
        d = self.dut
        d.s_valid.value = valid
        d.s_data.value = data if valid else self.rng.randint(0, 255)
        d.s_last.value = last if valid else self.rng.randint(0, 1)
        d.cnt_clr.value = clr
        await RisingEdge(d.clk)
        self.m.step(valid, data, last, clr)
        await FallingEdge(d.clk)
        self.check()

    async def send(self, data, last_at=None, gaps=0):
        """Send bytes; s_last on index last_at (default: the final byte)."""
        last_at = len(data) - 1 if last_at is None else last_at
        for i, b in enumerate(data):
            await self.cycle(1, b, int(i == last_at))
            for _ in range(gaps):
                await self.cycle()


@cocotb.test()
async def test_accept(dut):
    tb = TB(dut)
    await tb.reset()
    rng = random.Random(1)
    for t in range(4):
        for ln in (0, 1, 5, 63, 64):
            await tb.send(packet(t, [rng.randint(0, 255) for _ in range(ln)]), gaps=t % 2)
            assert tb.m.ok and tb.m.plen == ln and tb.m.ptype == t
    for fill in (0x00, 0xFF, 0x00):
        await tb.send(packet(3, [fill] * 3))
    # 130 short packets: accept counter passes 128
    for i in range(130):
        await tb.send(packet(i % 4, []))
    assert tb.m.acc == 153


@cocotb.test()
async def test_drops(dut):
    tb = TB(dut)
    await tb.reset()
    await tb.send(packet(0, [1, 2], magic=(0xCB, 0xFE)))       # bad magic hi, then discard
    assert tb.m.reason == 0
    await tb.send(packet(0, [1, 2], magic=(0xCA, 0xEF)))       # bad magic lo
    await tb.send([0xC0])                                      # bad magic with s_last
    await tb.send(packet(4, [1]))                              # bad type
    assert tb.m.reason == 1
    await tb.send(packet(0x80, []))
    await tb.send(packet(1, [], length=65))                    # bad length
    assert tb.m.reason == 2
    await tb.send(packet(1, [], length=0xC8))
    await tb.send(packet(2, [9, 8, 7], crc_xor=0x01))          # bad CRC
    assert tb.m.reason == 4
    await tb.send(packet(2, [9, 8, 7], crc_xor=0xFF))
    # framing: s_last early on each header field and in the payload
    for cut in range(6):
        await tb.send(packet(1, [0x11, 0x22, 0x33])[:cut + 1])
        assert tb.m.reason == 3 and tb.m.state == MAG0
    # framing: s_last missing on the CRC byte, discard until a later s_last
    await tb.send(packet(1, [0x44]) + [0x00, 0xCA], last_at=7)
    assert tb.m.reason == 3
    await tb.send(packet(0, [0x5A]))
    assert tb.m.ok
    # many one-byte bad packets: drop counter passes 128, with a clear in the middle
    for i in range(140):
        await tb.cycle(1, i & 0x7F, 1, clr=int(i == 135))
    await tb.send(packet(0, []) , gaps=1)
    # random mix
    rng = random.Random(4)
    for _ in range(30):
        pl = [rng.randint(0, 255) for _ in range(rng.randint(0, 6))]
        pk = packet(rng.randint(0, 5), pl, crc_xor=rng.choice([0, 0, 4]))
        await tb.send(pk, last_at=rng.choice([len(pk) - 1] * 4 + [rng.randint(0, len(pk) + 1)]))
    await tb.send([0x00])                                      # terminate whatever the mix left open
    await tb.send(packet(0, [0x77]), last_at=7)
    await tb.send([0x00])
    # clear while a verdict comes
    await tb.send(packet(3, [0xEE])[:-1], last_at=-1)
    await tb.cycle(1, crc8([3, 1, 0xEE]), 1, clr=1)
    assert tb.m.acc == 0 and tb.m.ok
    # reset in the middle of a packet
    await tb.send(packet(1, [1, 2, 3])[:4], last_at=-1)
    await tb.reset()
    await tb.send(packet(1, [1, 2, 3]))
    assert tb.m.ok
