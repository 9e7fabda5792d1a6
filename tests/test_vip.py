"""Verification IP for standard interfaces: port groups matched by name (pyslang-parsed ports), the
built-in plan that hands them to cocotbext-axi / cocotbext-apb / the template's SPI master, and (simulator)
what that reaches."""

from __future__ import annotations

import dataclasses

import pytest

from conftest import DESIGNS
from pytest_llm4cov import Llm4covError
from pytest_llm4cov.design import load_config, load_design
from pytest_llm4cov.interface import extract_interface
from pytest_llm4cov.policy.builtin import BuiltinPolicy, fit_budget, render, simulated_cycles, wire_inputs
from pytest_llm4cov.policy.random_policy import RandomPolicy
from pytest_llm4cov.policy.vip import driven_inputs, frame_lengths, match_groups
from pytest_llm4cov.state import State


def ports(tmp_path, body: str, name: str = "dut"):
    """The interface of a module with the given port list, parsed and elaborated by pyslang."""
    (tmp_path / f"{name}.sv").write_text(f"module {name} (\n{body}\n);\nendmodule\n")
    return extract_interface([tmp_path / f"{name}.sv"])


def kinds(iface):
    return [(g.kind, g.prefix) for g in match_groups(iface)]


AXIS_BOTH = """
    input  wire clk, input wire rst_n,
    input  wire [31:0] s_axis_tdata, input wire [3:0] s_axis_tkeep, input wire s_axis_tvalid,
    output wire s_axis_tready, input wire s_axis_tlast, input wire [1:0] s_axis_tuser,
    output wire [7:0] M_AXIS_TDATA, output wire M_AXIS_TVALID, input wire M_AXIS_TREADY, output wire M_AXIS_TLAST,
    input  wire [3:0] mode
"""


def test_axis_slave_and_master_ports_match_with_their_optional_signals(tmp_path):
    iface = ports(tmp_path, AXIS_BOTH)
    source, sink = match_groups(iface)
    assert (source.kind, source.prefix) == ("axis_source", "s_axis")
    assert source.ports == {"tdata": "s_axis_tdata", "tvalid": "s_axis_tvalid", "tready": "s_axis_tready",
                            "tlast": "s_axis_tlast", "tkeep": "s_axis_tkeep", "tuser": "s_axis_tuser"}
    assert set(source.driven) == {"s_axis_tdata", "s_axis_tkeep", "s_axis_tvalid", "s_axis_tlast", "s_axis_tuser"}
    # upper case, as the RTL spells it; the VIP drives only tready of a port the DUT sends on
    assert (sink.kind, sink.prefix) == ("axis_sink", "M_AXIS")
    assert sink.driven == ("M_AXIS_TREADY",)
    assert "mode" not in driven_inputs(match_groups(iface))


def test_bare_axis_names_match_with_no_prefix(tmp_path):
    iface = ports(tmp_path, "input clk, input [7:0] tdata, input tvalid, output tready, input tlast")
    assert kinds(iface) == [("axis_source", "")]


@pytest.mark.parametrize(
    "body",
    [
        # tvalid and tready but no tdata
        "input clk, input s_axis_tvalid, output s_axis_tready, input s_axis_tlast",
        # tready in the wrong direction for a slave port (and for a master port)
        "input clk, input [7:0] s_axis_tdata, input s_axis_tvalid, input s_axis_tready",
        # no tready: AXI-Stream without back-pressure is not what the VIP needs
        "input clk, input [7:0] s_axis_tdata, input s_axis_tvalid",
        # tkeep that does not divide tdata
        "input clk, input [7:0] s_axis_tdata, input [2:0] s_axis_tkeep, input s_axis_tvalid, output s_axis_tready",
        # a clockless design: the VIP is clocked
        "input [7:0] s_axis_tdata, input s_axis_tvalid, output s_axis_tready",
        # APB without pready, APB with data that is not whole bytes, APB with psel for two slaves
        "input clk, input psel, input penable, input pwrite, input [7:0] paddr, input [31:0] pwdata, "
        "output [31:0] prdata",
        "input clk, input psel, input penable, input pwrite, input [7:0] paddr, input [11:0] pwdata, "
        "output [11:0] prdata, output pready",
        "input clk, input [1:0] psel, input penable, input pwrite, input [7:0] paddr, input [31:0] pwdata, "
        "output [31:0] prdata, output pready",
        # an SPI master (it drives SCLK and chip select), SPI without a chip select, a 2-bit chip select
        "input clk, output sclk, output cs_n, output mosi, input miso",
        "input clk, input sclk, input mosi, output miso",
        "input clk, input sclk, input [1:0] cs_n, input mosi",
        # a bare chip select: its polarity is unknown
        "input clk, input sclk, input cs, input mosi",
    ],
    ids=["no-tdata", "tready-direction", "no-tready", "tkeep-width", "no-clock", "apb-no-pready",
         "apb-12-bit-data", "apb-two-psel", "spi-master", "spi-no-select", "spi-two-selects",
         "spi-bare-cs"],
)
def test_near_misses_are_not_matched(tmp_path, body):
    assert kinds(ports(tmp_path, body)) == []


def test_apb_with_and_without_prefix(tmp_path):
    bare = ports(tmp_path, "input pclk, input presetn, input psel, input penable, input pwrite, input [11:0] paddr, "
                 "input [31:0] pwdata, output [31:0] prdata, output pready, output pslverr, input [3:0] pstrb")
    (group,) = match_groups(bare)
    assert (group.kind, group.prefix) == ("apb", "")
    assert "pslverr" not in group.ports and group.ports["pstrb"] == "pstrb"  # pslverr: see vip.py
    assert set(group.driven) == {"psel", "penable", "pwrite", "paddr", "pwdata", "pstrb"}
    prefixed = ports(tmp_path, "input clk, input s_apb_psel, input s_apb_penable, input s_apb_pwrite, "
                     "input [7:0] s_apb_paddr, input [15:0] s_apb_pwdata, output [15:0] s_apb_prdata, "
                     "output s_apb_pready", name="dut2")
    assert kinds(prefixed) == [("apb", "s_apb")]


def test_spi_slave_ports_by_their_common_names(tmp_path):
    bare = ports(tmp_path, "input clk, input rst_n, input sclk, input cs_n, input mosi, output miso, input [7:0] din")
    (group,) = match_groups(bare)
    assert (group.kind, group.prefix) == ("spi", "")
    assert group.ports == {"sclk": "sclk", "cs": "cs_n", "mosi": "mosi"} and set(group.driven) == {"sclk", "cs_n", "mosi"}
    other = ports(tmp_path, "input clk, input SPI_SCK, input SPI_SS_N, input SPI_SDI, output SPI_SDO", name="dut2")
    assert kinds(other) == [("spi", "SPI")]
    prefixed_clk = ports(tmp_path, "input clk, input spi_clk, input spi_cs_n, input spi_mosi", name="dut3")
    (group,) = match_groups(prefixed_clk)
    assert group.ports == {"sclk": "spi_clk", "cs": "spi_cs_n", "mosi": "spi_mosi"}


def test_spi_bytes_favour_compared_values_with_and_without_the_command_bit():
    design = load_design(DESIGNS / "spi_slave")
    policy = BuiltinPolicy()
    (spi,) = policy.plan(design, policy.facts(design), seed=0, refine=0).vip
    # REG_CTRL..REG_STAT (0-3) as a write command (bit 7 clear) and as a read (bit 7 set)
    assert {0x00, 0x01, 0x02, 0x03, 0x80, 0x81, 0x82, 0x83} <= set(spi.settings["values"])
    assert spi.settings["values"][:4] == [0x00, 0x80, 0x01, 0x81]  # a value and its read command side by side
    assert [p.name for p in wire_inputs(design, policy.plan(design, policy.facts(design), 0, 0))] == ["din"]


def test_frame_lengths_sit_at_and_past_the_bounds():
    assert frame_lengths({16, 2000}) == [1, 2, 3, 4, 8, 15, 16, 17]


@pytest.fixture(scope="module")
def len_filter():
    return load_design(DESIGNS / "axis_len_filter")


def without_vip(design):
    return dataclasses.replace(design, config=dataclasses.replace(design.config, vip=False))


def test_the_plan_hands_matched_ports_to_the_vip(len_filter):
    policy = BuiltinPolicy()
    plan = policy.plan(len_filter, policy.facts(len_filter), seed=0, refine=1)
    assert [g.kind for g in plan.vip] == ["axis_source", "axis_sink"]
    # MAX_LEN = 100: a frame one beat short, exact, one over
    assert {99, 100, 101} <= set(plan.vip[0].settings["lengths"])
    assert wire_inputs(len_filter, plan) == []  # every data input belongs to a bus
    source = render(len_filter, plan, "builtin", 1).source
    assert "INPUTS = {}" in source and "from cocotbext.axi import" in source and "    start_vip(tb)\n" in source
    compile(source, "tb.py", "exec")
    # `vip = false`: the same design driven wire by wire, no VIP code in the testbench
    plain = without_vip(len_filter)
    bare = policy.plan(plain, policy.facts(plain), seed=0, refine=1)
    assert bare.vip == [] and len(wire_inputs(plain, bare)) == 4
    text = render(plain, bare, "builtin", 1).source
    assert "cocotbext" not in text and "start_vip" not in text and "VIP = " not in text


def test_mined_register_addresses_become_apb_addresses():
    design = load_design(DESIGNS / "apb_regs")
    policy = BuiltinPolicy()
    plan = policy.plan(design, policy.facts(design), seed=0, refine=0)
    (apb,) = plan.vip
    assert {0x00, 0x04, 0x08, 0x0C, 0x10, 0x14} <= set(apb.settings["addresses"])
    assert "paddr" not in plan.interesting and all("paddr" not in dict(r.drives) for r in plan.rules)
    assert [p.name for p in wire_inputs(design, plan)] == ["status_i", "event_i"]
    # the random baseline drives every input itself, at exactly the built-in's budget
    state = State(design)
    random = RandomPolicy().propose(state, seed=0)
    assert "VIP = " not in random.testbench.source and "'psel': 1" in random.testbench.source
    assert random.info["cycles"] == BuiltinPolicy().propose(state, seed=0).info["cycles"]


def test_vip_setting_is_checked(tmp_path):
    (tmp_path / "llm4cov.toml").write_text('vip = "no"\n')
    with pytest.raises(Llm4covError, match=r"vip must be true or false"):
        load_config(tmp_path)
    (tmp_path / "llm4cov.toml").write_text("vip = false\n")
    assert load_config(tmp_path).vip is False


@pytest.mark.simulator
@pytest.mark.parametrize(
    "name", ["axis_len_filter", "spi_slave", pytest.param("apb_regs", marks=pytest.mark.slow)]
)
def test_vip_reaches_more_than_per_wire_stimulus_at_the_same_budget(name, evaluator):
    """One first step each way, the per-wire plan fitted to the VIP plan's cycles: the VIP closes the
    protocol states (exact-length and truncated frames; completed APB transfers to each register; SPI
    register writes, which need a whole command byte and a data byte under one chip select)."""
    design = load_design(DESIGNS / name)
    policy = BuiltinPolicy()
    plan = policy.plan(design, policy.facts(design), seed=0, refine=0)
    cycles = simulated_cycles(plan, design)
    plain = without_vip(design)
    bare = fit_budget(policy.plan(plain, policy.facts(plain), seed=0, refine=0), plain, cycles)
    assert simulated_cycles(bare, plain) == cycles
    runs = {}
    for label, d, p in (("vip", design, plan), ("wires", plain, bare)):
        obs = evaluator.evaluate(d.build, render(d, p, "builtin", 0))
        assert obs.passed, f"{label}: {obs.error}"
        # the VIP runs beside the phases: it adds no simulated cycle (10 ns each, from 5 ns)
        assert sum(t.sim_time_ns for t in obs.tests) == 10 * cycles - 5
        runs[label] = obs.score
    assert runs["vip"] > runs["wires"] + 0.01, runs
