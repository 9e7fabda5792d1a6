"""Interface extraction with pyslang: tops, ports, parameters, clock/reset guesses, clear errors."""

from __future__ import annotations

import pytest

from conftest import DESIGNS, TEST_DATA
from pytest_llm4cov import Llm4covError
from pytest_llm4cov.interface import Port, extract_interface, guess_clock, guess_reset, rtl_files


def test_counter_ports_clock_reset():
    iface = extract_interface([DESIGNS / "counter4"])
    assert iface.top == "counter4"
    assert [(p.name, p.direction, p.width) for p in iface.ports] == [
        ("clk", "input", 1), ("rst_n", "input", 1), ("en", "input", 1), ("clr", "input", 1),
        ("count", "output", 4), ("wrap", "output", 1),
    ]
    assert iface.clock == "clk"
    assert iface.reset is not None and iface.reset.name == "rst_n" and iface.reset.active_low
    assert [p.name for p in iface.data_inputs] == ["en", "clr"]
    assert iface.top_line == 2


def test_active_high_reset_guess():
    iface = extract_interface([DESIGNS / "mode_fsm"])
    assert iface.reset.name == "rst" and not iface.reset.active_low


def test_parameters_widths_and_signedness():
    iface = extract_interface([TEST_DATA / "multi_top.v"], top="top_b")
    din = iface.port("din")
    assert (din.width, din.signed) == (8, True)
    params = {p.name: (p.value, p.local) for p in iface.parameters}
    assert params["WIDTH"] == ("8", False)
    assert params["HALF"] == ("4", True)
    assert iface.clock == "clk_i"
    assert iface.reset.name == "rst_ni" and iface.reset.active_low


def test_parameter_override_changes_width():
    iface = extract_interface([TEST_DATA / "multi_top.v"], top="top_b", parameters={"WIDTH": 12})
    assert iface.port("dout").width == 12


def test_several_tops_need_a_choice():
    with pytest.raises(Llm4covError, match=r"several top modules \(top_a, top_b\)"):
        extract_interface([TEST_DATA / "multi_top.v"])


def test_submodule_can_be_the_top():
    iface = extract_interface([TEST_DATA / "multi_top.v"], top="leaf")
    assert [p.name for p in iface.ports] == ["a", "b"]


def test_unknown_top_lists_modules():
    with pytest.raises(Llm4covError, match=r"top module 'nope' not found \(modules: leaf, top_a, top_b\)"):
        extract_interface([TEST_DATA / "multi_top.v"], top="nope")


def test_parse_error_names_file_and_line():
    with pytest.raises(Llm4covError) as err:
        extract_interface([TEST_DATA / "broken.v"])
    assert str(err.value).startswith(f"{TEST_DATA / 'broken.v'}:2: expected ';'")


def test_overrides_are_checked_against_ports():
    iface = extract_interface([DESIGNS / "counter4"], clock="clk", reset="clr", reset_active_low=False)
    assert iface.reset.name == "clr" and not iface.reset.active_low
    with pytest.raises(Llm4covError, match="clock 'clock' is not a port of counter4"):
        extract_interface([DESIGNS / "counter4"], clock="clock")


def test_binary_and_empty_inputs(tmp_path):
    (tmp_path / "blob.v").write_bytes(b"\x7fELF\x00\x00\x01")
    with pytest.raises(Llm4covError, match="blob.v: binary file"):
        extract_interface([tmp_path / "blob.v"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(Llm4covError, match="no .v or .sv files found"):
        rtl_files([tmp_path / "empty"])


@pytest.mark.parametrize(
    ("names", "clock", "reset", "low"),
    [
        (["clk", "rst_n"], "clk", "rst_n", True),
        (["aclk", "aresetn"], "aclk", "aresetn", True),
        (["sys_clk", "reset"], "sys_clk", "reset", False),
        (["clock", "rst_ni"], "clock", "rst_ni", True),
        (["a", "b"], None, None, None),
    ],
)
def test_guesses(names, clock, reset, low):
    ports = [Port(n, "input", 1) for n in names]
    assert guess_clock(ports) == clock
    r = guess_reset(ports)
    assert (r.name if r else None) == reset
    if r:
        assert r.active_low is low
