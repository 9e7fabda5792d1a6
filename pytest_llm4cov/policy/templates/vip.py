

# Verification IP for the port groups in VIP. It runs in the background beside the phases of PLAN (which
# leave these ports alone) and idles while a hold phase keeps the inputs still (``tb.quiet``).


def pauses(tb, rng, busy):
    """A pause pattern, one value per clock: runs at full speed, random stalls (``busy`` of the cycles)
    and long stops, so that buffers both fill up and run dry."""
    while True:
        kind = rng.choice(("run", "stalls", "stalls", "stop"))
        for _ in range(rng.choice((4, 16, 64, 256))):
            yield tb.quiet or kind == "stop" or (kind == "stalls" and rng.random() < busy)


def pick(rng, values, width):
    """A data value: one the RTL compares with, a corner (zero, all ones) or a random one."""
    r = rng.random()
    if r < 0.3 and values:
        return rng.choice(values)
    if r < 0.4:
        return rng.choice((0, (1 << width) - 1))
    return rng.getrandbits(width)


def clock(tb):
    return getattr(tb.dut, CLOCK)


def reset_signal(tb):
    return getattr(tb.dut, RESET) if RESET else None


def axis_bus(tb, prefix):
    return AxiStreamBus.from_prefix(tb.dut, prefix) if prefix else AxiStreamBus.from_entity(tb.dut)


def axis_lanes(bus):
    """A frame element per tkeep bit when the bus has tkeep, else one per beat (the whole tdata)."""
    return {} if hasattr(bus, "tkeep") else {"byte_lanes": 1}


async def send_frames(tb, rng, prefix, settings):
    """Frames into the design, alone and in bursts: one beat, a few, and lengths at and just past the
    bounds the RTL has, tlast on each last beat, data biased towards the values the RTL compares tdata with; tuser marks
    the last beat of some frames (a bad-frame flag), tid and tdest change per frame."""
    bus = axis_bus(tb, prefix)
    source = AxiStreamSource(bus, clock(tb), reset_signal(tb), reset_active_level=bool(RESET_ACTIVE),
                             **axis_lanes(bus))
    source.log.setLevel("WARNING")  # no log line per frame or transfer
    source.queue_occupancy_limit_frames = 2  # send() waits: frames are made as they are needed
    source.set_pause_generator(pauses(tb, rng, 0.3))  # idle gaps inside and between frames
    side = {name: len(getattr(bus, name)) for name in ("tuser", "tid", "tdest") if hasattr(bus, name)}
    while True:
        length = rng.choice(settings["lengths"])
        burst = rng.choice((1, 1, 2, 4, 16)) if length <= 16 else 1  # bursts of short frames
        for _ in range(burst):
            data = [pick(rng, settings["values"], source.byte_size) for _ in range(length)]
            extra = {name: pick(rng, [], width) for name, width in side.items()}
            if "tuser" in side:
                flag = extra["tuser"] if rng.random() < 0.3 else 0
                extra["tuser"] = [0] * (length - 1) + [flag]
            await source.send(AxiStreamFrame(data, **extra))


async def receive_frames(tb, rng, prefix, settings):
    """Frames out of the design, with back-pressure: tready follows a pause pattern."""
    bus = axis_bus(tb, prefix)
    sink = AxiStreamSink(bus, clock(tb), reset_signal(tb), reset_active_level=bool(RESET_ACTIVE), **axis_lanes(bus))
    sink.log.setLevel("WARNING")  # no log line per frame or transfer
    sink.set_pause_generator(pauses(tb, rng, 0.5))
    while True:
        await sink.recv()


async def apb_transfers(tb, rng, prefix, settings):
    """Register writes and reads: the addresses the RTL compares paddr with (its register map), next to
    them (misaligned) and anywhere in the address range, data biased towards the values the RTL compares
    pwdata with, idle cycles between transfers."""
    # pslverr is left off the bus: cocotbext-apb raises on an error response it was not told to expect.
    bus = Apb3Bus(tb.dut, prefix or None, optional_signals=["penable", "pstrb", "pprot"])
    master = ApbMaster(bus, clock(tb), timeout_max=-1, seednum=SEED)  # no timeout: a stuck pready stalls only this
    master.log.setLevel("WARNING")  # no log line per frame or transfer
    width, data_width = len(bus.paddr), len(bus.pwdata)
    addresses = settings["addresses"]
    while True:
        if tb.quiet:
            await Timer(10, unit="ns")  # one clock period
            continue
        r = rng.random()
        if r < 0.6 and addresses:
            address = rng.choice(addresses)
        elif r < 0.7 and addresses:
            address = rng.choice(addresses) + rng.randrange(1, 4)
        else:
            address = rng.getrandbits(width)
        address &= (1 << width) - 1
        if rng.random() < 0.5:
            await master.write(address, pick(rng, settings["values"], data_width))
        else:
            await master.read(address)
        gap = rng.choice((0, 0, 1, 2, 5))  # idle clock periods before the next transfer
        if gap:
            await Timer(10 * gap, unit="ns")


async def spi_transfers(tb, rng, prefix, settings):
    """SPI transfers into the design (an SPI slave): chip select asserted, whole bytes MSB first, data set
    up before each rising SCLK edge (mode 0, and mode 3 now and then), SCLK several clocks per phase so a
    design that oversamples it through synchronisers sees every edge; one to eight bytes per select, now
    and then a partial byte (an aborted transfer), bytes biased towards the values the RTL compares or
    sizes with (``settings["values"]``)."""
    sclk, cs, mosi = (getattr(tb.dut, settings[role]) for role in ("sclk", "cs", "mosi"))

    async def clocks(n):
        for _ in range(n):
            await FallingEdge(clock(tb))

    cs.value, sclk.value, mosi.value = 1, 0, 0  # deselected (chip selects are active low)
    while True:
        if tb.quiet:
            await clocks(1)
            continue
        cpol = int(rng.random() < 0.2)  # mode 3: SCLK idles high
        half = rng.choice((3, 4, 4, 8))  # clocks per SCLK phase
        if int(sclk.value) != cpol:
            sclk.value = cpol  # the new idle level while still deselected: no edge counts as a bit
            await clocks(half)
        cs.value = 0
        await clocks(half)
        data = [pick(rng, settings["values"], 8) for _ in range(rng.choice((1, 2, 2, 3, 4, 8)))]
        bits = [(byte >> i) & 1 for byte in data for i in range(7, -1, -1)]
        if rng.random() < 0.1:
            bits = bits[: rng.randrange(1, len(bits))]  # deselected mid-byte
        for bit in bits:
            sclk.value = 0
            mosi.value = bit
            await clocks(half)
            while tb.quiet:  # a hold phase: stay selected with SCLK stopped until it ends
                await clocks(1)
            sclk.value = 1
            await clocks(half)
        sclk.value = cpol
        await clocks(half)
        cs.value = 1
        await clocks(rng.choice((1, 2, 4, 16)))


VIP_DRIVERS = {"axis_source": send_frames, "axis_sink": receive_frames, "apb": apb_transfers, "spi": spi_transfers}


def start_vip(tb):
    """Start each VIP group's traffic; its own random stream, so the per-wire stimulus is as without it."""
    tb.vip = True
    rng = random.Random(SEED ^ 0x5EED)
    for kind, prefix, settings in VIP:
        cocotb.start_soon(VIP_DRIVERS[kind](tb, rng, prefix, settings))
