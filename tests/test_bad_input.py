"""Bad input: each case is one ``Llm4covError`` line naming the file and the fix; the CLI exits 2 with it.

RTL (unparsable, no or several tops, unsupported constructs, empty folders, binary and huge files),
model files (a truncated GGUF, a model folder without weights), run logs (truncated, wrong schema,
corrupt) and llm4cov.toml (unknown keys, wrong types).
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys

import pytest

from conftest import DESIGNS, TEST_DATA
from pytest_llm4cov import Llm4covError
from pytest_llm4cov.design import load_config, load_design
from pytest_llm4cov.interface import extract_interface
from pytest_llm4cov.runlog import SCHEMA, RunLogWriter, read_runlog

IFACE_PORT = """interface bus_if; logic a; modport m(input a); endinterface
module top(bus_if.m b, output logic y); assign y = b.a; endmodule
"""
NO_DEFAULT = "module top #(parameter int W) (input logic [W-1:0] a, output logic [W-1:0] y); assign y = a; endmodule\n"
UDP = """primitive mux_udp(out, a, b, s);
  output out; input a, b, s;
  table 0 ? 0 : 0; 1 ? 0 : 1; ? 0 1 : 0; ? 1 1 : 1; endtable
endprimitive
module top(input a, input b, input s, output y);
  mux_udp u(y, a, b, s);
endmodule
"""
TRAN = "module top(inout a, inout b, input en, output y);\n  tranif1 t1(a, b, en);\n  assign y = en;\nendmodule\n"


def one_line_error(excinfo, *fragments: str) -> str:
    text = str(excinfo.value)
    assert "\n" not in text, text
    for fragment in fragments:
        assert fragment in text, text
    return text


def write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest_llm4cov", *args], capture_output=True, text=True, timeout=300, env=env
    )


def cli_error(done: subprocess.CompletedProcess, *fragments: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    err = done.stderr.strip()
    assert err.count("\n") == 0 and err.startswith("error: "), err
    for fragment in fragments:
        assert fragment in err, err
    return err


# -- RTL ------------------------------------------------------------------------------------------------


def test_rtl_that_does_not_parse():
    with pytest.raises(Llm4covError) as exc:
        extract_interface([TEST_DATA / "broken.v"])
    one_line_error(exc, "broken.v:2:", "expected ';'", "fix the RTL")


def test_missing_top():
    with pytest.raises(Llm4covError) as exc:
        extract_interface([TEST_DATA / "multi_top.v"], "no_such_top")
    one_line_error(exc, "multi_top.v", "'no_such_top' not found", "top_a", "top_b")


def test_ambiguous_top():
    with pytest.raises(Llm4covError) as exc:
        extract_interface([TEST_DATA / "multi_top.v"])
    one_line_error(exc, "multi_top.v", "several top modules (top_a, top_b)", "--top")


def test_no_module_at_all(tmp_path):
    path = write(tmp_path, "pkg.sv", "package p; parameter int X = 1; endpackage\n")
    with pytest.raises(Llm4covError) as exc:
        extract_interface([path])
    one_line_error(exc, "pkg.sv", "no module defined")


def test_top_with_a_parameter_without_default(tmp_path):
    path = write(tmp_path, "nodefault.sv", NO_DEFAULT)
    with pytest.raises(Llm4covError) as exc:
        extract_interface([path])
    one_line_error(exc, "nodefault.sv", "parameter without a default", "[parameters]")
    # ...and the fix it names works
    iface = extract_interface([path], "top", parameters={"W": 4})
    assert iface.port("a").width == 4


def test_interface_port_on_the_top_is_unsupported(tmp_path):
    path = write(tmp_path, "ifport.sv", IFACE_PORT)
    with pytest.raises(Llm4covError) as exc:
        extract_interface([path])
    one_line_error(exc, "ifport.sv:2", "interface port 'b'", "wrap the top")


def test_user_defined_primitive_is_read_not_crashed_on(tmp_path):
    iface = extract_interface([write(tmp_path, "udp.v", UDP)])
    assert iface.top == "top" and [p.name for p in iface.inputs] == ["a", "b", "s"]


def test_empty_directory(tmp_path):
    (tmp_path / "rtl").mkdir()
    (tmp_path / "rtl" / "README.txt").write_text("no RTL here\n")
    with pytest.raises(Llm4covError) as exc:
        extract_interface([tmp_path / "rtl"])
    one_line_error(exc, "rtl", "no .v or .sv files found")


def test_missing_path(tmp_path):
    with pytest.raises(Llm4covError) as exc:
        extract_interface([tmp_path / "nope.v"])
    one_line_error(exc, "nope.v", "no such RTL file")


def test_binary_file_named_v(tmp_path):
    path = write(tmp_path, "blob.v", bytes(range(256)) * 16)
    with pytest.raises(Llm4covError) as exc:
        extract_interface([path])
    one_line_error(exc, "blob.v", "binary file", "remove it")


def test_huge_file(tmp_path, monkeypatch):
    monkeypatch.setenv("LLM4COV_MAX_RTL_MB", "1")
    lines = ["module huge(input [31:0] a, output [31:0] y);"]
    lines += [f"  wire [31:0] w{i} = a ^ 32'd{i};" for i in range(40000)]  # ~1.3 MB
    path = write(tmp_path, "huge.v", "\n".join([*lines, "  assign y = w0;", "endmodule", ""]))
    with pytest.raises(Llm4covError) as exc:
        extract_interface([path])
    one_line_error(exc, "huge.v", "over the 1 MB limit", "LLM4COV_MAX_RTL_MB")
    monkeypatch.setenv("LLM4COV_MAX_RTL_MB", "lots")
    with pytest.raises(Llm4covError) as exc:
        extract_interface([path])
    one_line_error(exc, "LLM4COV_MAX_RTL_MB='lots'", "megabytes")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("broken.v", None, "broken.v:2"),
        ("pkg.sv", "package p; endpackage\n", "no module defined"),
        ("ifport.sv", IFACE_PORT, "interface port"),
        ("blob.v", b"\x00\x01\x02" * 100, "binary file"),
    ],
)
def test_cli_bad_rtl_is_one_line_exit_2(tmp_path, name, text, expected):
    tb = write(tmp_path, "test_x.py", "import cocotb\n")
    rtl = TEST_DATA / name if text is None else write(tmp_path, name, text)
    cli_error(run_cli("evaluate", str(rtl), "--tb", str(tb)), name, expected)


def test_cli_empty_directory(tmp_path):
    tb = write(tmp_path, "test_x.py", "import cocotb\n")
    (tmp_path / "empty").mkdir()
    cli_error(run_cli("evaluate", str(tmp_path / "empty"), "--tb", str(tb)), "empty", "no .v or .sv files")


@pytest.mark.simulator
def test_cli_construct_verilator_does_not_support(tmp_path, build_cache):
    import os

    tb = write(tmp_path, "test_x.py", "import cocotb\n@cocotb.test()\nasync def t(dut):\n    pass\n")
    rtl = write(tmp_path, "tran.v", TRAN)
    done = run_cli("evaluate", str(rtl), "--tb", str(tb), env={**os.environ, "LLM4COV_CACHE_DIR": str(build_cache)})
    cli_error(done, "tran.v:2", "Unsupported", "rewrite it")
    assert "outcome: build_failed" in done.stdout


# -- model files -----------------------------------------------------------------------------------------


def test_truncated_gguf(tmp_path):
    pytest.importorskip("llama_cpp", reason="the llm extra (llama-cpp-python) is not installed")
    from pytest_llm4cov.policy.model import build_model_policy

    # A GGUF header (magic, version 3, 10 tensors, 5 metadata pairs) cut right after it.
    path = write(tmp_path, "cut.gguf", b"GGUF" + struct.pack("<IQQ", 3, 10, 5) + b"\x01\x02")
    with pytest.raises(Llm4covError) as exc:
        build_model_policy(str(path))
    one_line_error(exc, "cut.gguf", "could not load this GGUF model", "truncated or corrupt")


def test_file_that_is_no_gguf(tmp_path):
    from pytest_llm4cov.policy.model import build_model_policy

    path = write(tmp_path, "notes.gguf", "just text\n")
    with pytest.raises(Llm4covError) as exc:
        build_model_policy(str(path))
    one_line_error(exc, "notes.gguf", "not a GGUF model file")


def test_model_directory_without_weights(tmp_path):
    from pytest_llm4cov.policy.model import build_model_policy

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "qwen2"}))
    (folder / "tokenizer.json").write_text("{}")
    with pytest.raises(Llm4covError) as exc:
        build_model_policy(str(folder))
    one_line_error(exc, "model", "no model weights", "model.safetensors")


# -- run logs --------------------------------------------------------------------------------------------


def _record_line(index: int, **over) -> str:
    data = {
        "schema": SCHEMA, "run_id": "r1", "design": "counter4", "top": "counter4", "rtl_hash": "x",
        "policy": {"name": "builtin", "settings": {}}, "seed": index, "step": index, "parent_step": None,
        "testbench": "", "observation": {"outcome": "passed"}, "score": 0.5, "best_before": 0.0,
        "best_after": 0.5, "improved": True, "timings": {}, "proposal": {},
    }
    data.update(over)
    return json.dumps(data)


def test_run_log_truncated_last_line_is_skipped_and_cut_before_appending(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(_record_line(0) + "\n" + _record_line(1)[:40])
    assert [r.step for r in read_runlog(path)] == [0]
    writer = RunLogWriter(path)  # a resumed writer cuts the partial record first
    assert path.read_text() == _record_line(0) + "\n"
    del writer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_record_line(0, schema="llm4cov.runlog/0") + "\n", "log.jsonl:1: run-log schema 'llm4cov.runlog/0' is not"),
        (_record_line(0) + "\n{oops\n" + _record_line(1) + "\n", "log.jsonl:2: corrupt run-log line"),
        ("{garbage that ends in a newline\n", "log.jsonl:1: corrupt run-log line"),
        ("[1, 2, 3]\n", "log.jsonl:1: not a run-log record"),
        (_record_line(0, step="three") + "\n", "log.jsonl:1: run-log field 'step' holds str"),
        (json.dumps({"schema": SCHEMA, "run_id": "r"}) + "\n", "log.jsonl:1: run-log record is missing fields"),
    ],
    ids=["wrong-schema", "corrupt-middle", "corrupt-last-complete", "not-an-object", "wrong-type", "missing-fields"],
)
def test_malformed_run_log_is_one_error(tmp_path, text, expected):
    path = tmp_path / "log.jsonl"
    path.write_text(text)
    with pytest.raises(Llm4covError) as exc:
        list(read_runlog(path))
    one_line_error(exc, expected)


def test_cli_resume_with_a_malformed_log(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(_record_line(0, schema="llm4cov.runlog/9") + "\n")
    cli_error(run_cli("resume", str(path), "--design", str(DESIGNS / "counter4")), "log.jsonl:1", "re-run")


def test_cli_resume_with_no_record_of_the_design(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(_record_line(0, design="other") + "\n")
    cli_error(run_cli("resume", str(path), "--design", str(DESIGNS / "counter4")), "log.jsonl", "no record of design")


# -- llm4cov.toml ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("top = 'counter4'\ntopp = 'x'\n", "unknown key 'topp' (known keys: top, clock"),
        ("metrics = ['toggel']\n", "unknown metric 'toggel' (choose from line"),
        ("metrics = 'line'\n", "metrics must be a list"),
        ("parameters = 8\n", "parameters must be a table"),
        ("iterations = true\n", "iterations must be a positive integer"),
        ("target = 95\n", "target must be a number in [0, 1]"),
        ("top = [\n", "not valid TOML"),
    ],
)
def test_bad_config_is_one_error_naming_the_file(tmp_path, text, expected):
    (tmp_path / "llm4cov.toml").write_text(text)
    with pytest.raises(Llm4covError) as exc:
        load_config(tmp_path)
    one_line_error(exc, "llm4cov.toml", expected)


def test_bad_config_through_load_design(tmp_path):
    (tmp_path / "counter4.v").write_text((DESIGNS / "counter4" / "counter4.v").read_text())
    (tmp_path / "llm4cov.toml").write_text("top = 'counter4'\nclk = 'clk'\n")
    with pytest.raises(Llm4covError) as exc:
        load_design(tmp_path)
    one_line_error(exc, "llm4cov.toml", "unknown key 'clk'")
