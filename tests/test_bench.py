"""`python -m pytest_llm4cov bench`: the results file on two small designs, and `--compare` on hand-made files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import DESIGNS, ROOT
from pytest_llm4cov.cli import main


@pytest.mark.simulator
def test_bench_two_designs_writes_consistent_json(build_cache, tmp_path):
    out = tmp_path / "res" / "two.json"
    env = {**os.environ, "LLM4COV_CACHE_DIR": str(build_cache)}
    # what a user's own `pytest --llm4cov` run may have left is not ours to judge: compare before/after
    before = {p: p.exists() for p in (DESIGNS / "counter4" / "llm4cov-out", ROOT / "llm4cov-out")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest_llm4cov", "bench", "--designs", "counter4,mode_fsm", "--iterations", "1",
         "--jobs", "2", "--seed", "3", "--out", str(out)],
        capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    # One progress line per design as it finishes, then the totals.
    progress = [ln for ln in done.stdout.splitlines() if ln.startswith("[")]
    assert len(progress) == 2 and {"counter4", "mode_fsm"} == {ln.split()[1] for ln in progress}
    assert "coverage pass rate" in done.stdout and "average coverage" in done.stdout

    data = json.loads(out.read_text())
    for key in ("tool", "version", "schema", "policy", "policy_settings", "split", "iterations", "seed",
                "versions", "git", "items", "totals", "pass_rate", "average_coverage", "designs"):
        assert key in data, key
    assert data["policy"] == "builtin" and data["seed"] == 3 and data["iterations"] == 1
    for tool in ("pytest-llm4cov", "cocotb", "verilator", "python"):
        assert data["versions"][tool], tool
    items = data["items"]
    assert [i["design"] for i in items] == ["counter4", "mode_fsm"]
    for i in items:
        for key in ("top", "passed", "score", "target", "metrics", "steps", "wall_s", "outcome", "budget"):
            assert key in i, key
        assert 1 <= i["steps"] <= i["budget"] == 1
        assert 0.0 <= i["score"] <= 1.0 and i["metrics"]
        assert i["testbench"] == ""  # write=False: nothing kept
        assert i["passed"] == (i["outcome"] == "passed" and i["score"] >= i["target"] - 1e-9)
    n = len(items)
    totals = data["totals"]
    assert totals["designs"] == data["designs"] == n
    assert totals["pass_rate"] == data["pass_rate"] == pytest.approx(sum(i["passed"] for i in items) / n)
    assert totals["average_coverage"] == data["average_coverage"]
    assert totals["average_coverage"] == pytest.approx(sum(i["score"] for i in items) / n, abs=1e-6)
    assert totals["steps"] == sum(i["steps"] for i in items)
    # The run log sits next to the JSON; nothing was written into the working directory or the designs.
    runlog = out.with_name("two.runlog.jsonl")
    assert data["runlog"] == str(runlog) and len(runlog.read_text().splitlines()) == sum(i["steps"] for i in items)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]
    assert {p: p.exists() for p in before} == before  # bench writes nothing into the tree


def _results(path, policy, scores, targets=None):
    items = []
    for n, (design, score) in enumerate(scores.items()):
        target = (targets or {}).get(design, 1.0)
        items.append({"design": design, "top": design, "score": score, "target": target,
                      "passed": score >= target, "steps": 4, "metrics": {}, "wall_s": 1.0 + n})
    data = {"tool": "pytest-llm4cov", "policy": policy, "items": items,
            "pass_rate": sum(i["passed"] for i in items) / len(items),
            "average_coverage": sum(i["score"] for i in items) / len(items), "designs": len(items)}
    path.write_text(json.dumps(data))
    return path


def test_compare_prints_scores_deltas_and_totals(tmp_path, capsys):
    a = _results(tmp_path / "a.json", "random", {"alu8": 0.5, "counter4": 1.0, "only_a": 0.25})
    b = _results(tmp_path / "b.json", "builtin", {"alu8": 0.75, "counter4": 1.0, "only_b": 0.9},
                 targets={"only_b": 0.8})
    assert main(["bench", "--compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    rows = {ln.split()[0]: ln.split()[1:] for ln in out.splitlines() if ln.split()}
    assert rows["alu8"] == ["50.0%", "75.0%", "+25.0p", "FAIL", "FAIL"]
    assert rows["counter4"] == ["100.0%", "100.0%", "+0.0p", "PASS", "PASS"]
    assert rows["only_a"] == ["25.0%", "-", "FAIL", "-"]
    assert rows["only_b"] == ["-", "90.0%", "-", "PASS"]
    assert "total A: coverage pass rate 33.3%, average coverage 58.3% over 3 designs" in out
    assert "total B: coverage pass rate 66.7%, average coverage 88.3% over 3 designs" in out
    assert "delta B-A: pass rate +33.3p, average coverage +30.0p" in out
    assert "on the 2 designs in both: A average 75.0%, B average 87.5%" in out


def test_compare_bad_file_is_one_line_exit_2(tmp_path, capsys):
    good = _results(tmp_path / "a.json", "random", {"alu8": 0.5})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["bench", "--compare", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "bad.json: not a JSON results file" in err


def test_unknown_design_or_wrong_split_is_exit_2(tmp_path, capsys):
    assert main(["bench", "--designs", "counter4,nope", "--out", str(tmp_path / "x.json")]) == 2
    assert "no design 'nope'" in capsys.readouterr().err
    assert main(["bench", "--designs", "counter4", "--split", "eval", "--out", str(tmp_path / "x.json")]) == 2
    assert "'counter4' is not in split 'eval'" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
