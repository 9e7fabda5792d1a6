
# -- Functional coverage, added by pytest-llm4cov ------------------------------------------------------
# cocotb-coverage points read from the RTL of `{{TOP}}`, sampled while each test marked @sample_coverage
# runs (every falling clock edge; without a clock, every input change); pytest-llm4cov collects their bins
# after the run (the `functional` metric). Edit them like the rest of the testbench.
import functools as _functools

import cocotb as _cocotb
from cocotb.triggers import FallingEdge as _FallingEdge
from cocotb.triggers import First as _First
from cocotb.triggers import ReadOnly as _ReadOnly
from cocotb.triggers import ValueChange as _ValueChange
from cocotb_coverage.coverage import CoverPoint as _CoverPoint

COVER_CLOCK = {{CLOCK}}
COVER_RESET = {{RESET}}
COVER_RESET_ACTIVE = {{RESET_ACTIVE}}
COVER_INPUTS = {{INPUTS}}  # sampled on their changes when there is no clock
# point -> (signals, bins): one signal, its values; several, the tuple of their values.
COVER = {{COVER}}
# FSM arcs: point -> (state register, {(from, to): bin name}), as (the previous sample, now).
COVER_ARCS = {{ARCS}}
# Status flags crossed with requests: point -> (flag, request, bins), the flag as the edge saw it.
COVER_CROSSES = {{CROSSES}}


class _Sample:
    """The signals at the current sample, and the arc and cross registers at the previous one."""

    dut = None
    last = {}

    @classmethod
    def read(cls, name):
        try:
            return int(getattr(cls.dut, name).value)
        except (AttributeError, ValueError, TypeError):
            return None

    @classmethod
    def value(cls, signals):
        return cls.read(signals[0]) if len(signals) == 1 else tuple(cls.read(s) for s in signals)

    @classmethod
    def in_reset(cls):
        return COVER_RESET is not None and cls.read(COVER_RESET) == COVER_RESET_ACTIVE


def _point(point, xf, bins):
    return _CoverPoint(f"{{TOP}}.{point}", xf=lambda _: xf(), bins=bins)(lambda _: None)


_SAMPLERS = [_point(p, lambda s=signals: _Sample.value(s), bins) for p, (signals, bins) in COVER.items()]
_SAMPLERS += [
    _point(p, lambda r=reg, a=arcs: None if _Sample.in_reset() else a.get((_Sample.last.get(r), _Sample.read(r))),
           list(arcs.values()))
    for p, (reg, arcs) in COVER_ARCS.items()
]
_SAMPLERS += [
    _point(p, lambda f=flag, q=request: None if _Sample.in_reset() else (_Sample.last.get(f), _Sample.read(q)), bins)
    for p, (flag, request, bins) in COVER_CROSSES.items()
]
_TRACKED = list(dict.fromkeys([r for r, _ in COVER_ARCS.values()] + [f for f, _, _ in COVER_CROSSES.values()]))


async def _sample_forever(dut):
    _Sample.dut, _Sample.last = dut, {}
    inputs = [getattr(dut, name) for name in COVER_INPUTS if hasattr(dut, name)]
    while True:
        if COVER_CLOCK:
            await _FallingEdge(getattr(dut, COVER_CLOCK))
        elif inputs:
            await _First(*(_ValueChange(h) for h in inputs))
            await _ReadOnly()
        else:
            return
        for sample in _SAMPLERS:
            sample(None)
        _Sample.last = {} if _Sample.in_reset() else {name: _Sample.read(name) for name in _TRACKED}


def sample_coverage(test):
    """Samples the points above while ``test`` runs (put it under ``@cocotb.test()``)."""

    @_functools.wraps(test)
    async def run(dut, *args, **kwargs):
        _cocotb.start_soon(_sample_forever(dut))
        return await test(dut, *args, **kwargs)

    return run
# -- end of the functional coverage section ----------------------------------------------------------

