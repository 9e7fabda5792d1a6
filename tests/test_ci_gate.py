"""The CI gate when it must fail: the frozen regression below its target, then incremental mode after the
RTL changed (the kept testbench is the start, and the policy is called because coverage dropped)."""

from __future__ import annotations

import pytest

from conftest import copy_design, report
from pytest_llm4cov.runlog import read_runlog

pytestmark = [pytest.mark.simulator, pytest.mark.slow]  # four pytest runs and two builds: ~1-4 min

#: counter4 grows a keyed input: the kept testbench never drives it, so its branch stays uncovered.
KEYED = '''// counter4 with a keyed sticky flag added after its testbench was kept.
module counter4 (
    input  wire       clk,
    input  wire       rst_n,
    input  wire       en,
    input  wire       clr,
    input  wire [7:0] key,
    output reg  [3:0] count,
    output wire       wrap,
    output reg        armed
);
    assign wrap = en && (count == 4'hF);

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            count <= 4'd0;
            armed <= 1'b0;
        end else begin
            if (key == 8'hA5) armed <= 1'b1;
            if (clr) begin
                count <= 4'd0;
            end else if (en) begin
                count <= count + 4'd1;
            end
        end
    end
endmodule
'''


def test_frozen_regression_fails_below_target_then_incremental_mode_recloses(project):
    folder = copy_design(project, "counter4")
    args = ("--llm4cov", "rtl", "-p", "no:cacheprovider")
    project.runpytest_subprocess(*args).assert_outcomes(passed=1)
    item_dir = project.path / "llm4cov-out" / "counter4" / "counter4"
    kept = (item_dir / "tb_counter4.py").read_text()
    frozen = item_dir / "test_counter4_coverage.py"

    (folder / "counter4.v").write_text(KEYED)
    gate = project.runpytest_subprocess(str(frozen), "-p", "no:cacheprovider")
    gate.assert_outcomes(failed=1)
    assert gate.ret == pytest.ExitCode.TESTS_FAILED
    gate.stdout.fnmatch_lines(["*coverage *% is below the target 100.00%*"])

    again = project.runpytest_subprocess(*args)
    again.assert_outcomes(passed=1)
    item = report(project)["items"][0]
    assert item["passed"] and item["score"] == 1.0
    run = [r for r in read_runlog(project.path / "llm4cov-out" / "runs" / "runlog.jsonl") if r.run_id == item["run_id"]]
    assert run[0].testbench == kept and run[0].score < 1.0  # the kept testbench first: coverage dropped
    assert len(run) >= 2 and run[-1].score == 1.0  # so the policy was called, and it closed the new branch
    renewed = (item_dir / "tb_counter4.py").read_text()
    assert renewed != kept and "'key': 8" in renewed  # ours, not hand-edited: replaced in place
    assert "TARGET = 1.0" in frozen.read_text() and "RECORDED_SCORE = 1.0" in frozen.read_text()
