"""``python -m trainer evaluate`` scores a design exactly as the plugin does."""

from __future__ import annotations

import shutil

import pytest

from conftest import TEST_DATA


@pytest.mark.simulator
def test_rows_leave_out_what_the_plugin_leaves_out(evaluator, tmp_path):
    """Code the elaboration proved unreachable (param_gate's tied-off ``spare``) is out of a row's score and out
    of the uncovered points a model is shown, as in the plugin: before, evaluate scored it as missed, so a
    real-world design with unelaborated generate branches read 30.9% there against 100% in the plugin."""
    from pytest_llm4cov.closure import close_design
    from pytest_llm4cov.design import load_design
    from pytest_llm4cov.policy import get_policy
    from trainer.evaluate import EvaluateConfig, run_row

    folder = tmp_path / "param_gate"
    shutil.copytree(TEST_DATA / "param_gate", folder)
    design = load_design(folder)
    assert design.interface.unreachable  # the premise: there is proven-unreachable code to leave out
    plugin, _ = close_design(design, get_policy("builtin"), evaluator, out=tmp_path / "plugin", runlog=None,
                             iterations=1, write=False)
    row = run_row("builtin", [folder], EvaluateConfig(iterations=1, out=str(tmp_path / "evaluate")))
    (item,) = row["items"]
    assert item["score"] == pytest.approx(plugin.score, abs=1e-4)


def test_model_rows_sample_at_the_temperature_asked_all_alike(tiny_gguf):
    """A student trained on one template reproduces it greedily and drifts off it at 0.7 (wm2): evaluate can
    measure every model row greedily, and leaves the plugin's sampling alone unless asked."""
    from trainer.evaluate import EvaluateConfig, row_policy

    for temperature, expected in ((0.0, 0.0), (-1.0, 0.7)):
        config = EvaluateConfig(rows=["base"], modes=["model"], base_gguf=str(tiny_gguf), temperature=temperature,
                                teacher=str(tiny_gguf), threads=1, n_ctx=2048, max_tokens=512)
        for row in ("base-model", "teacher-model"):
            policy = row_policy(row, config)
            try:
                assert policy.sampling.temperature == expected
            finally:
                policy.close()


def test_a_resumed_report_covers_only_the_designs_asked_for(tmp_path):
    """With ``resume``, OUT/<row>.json keeps every design run so far; the report of ``--designs apb_regs``
    read the whole file and averaged 15 designs' built-in row against 1 design of the others."""
    import json

    from trainer.evaluate import EvaluateConfig, evaluate

    def item(design, score):
        return {"design": design, "score": score, "passed": score == 1.0, "difficulty": "hard", "model_steps": 0,
                "clean_after": 0, "clean_before": 0, "tokens_in": 0, "tokens_out": 0, "wall_s": 1.0}

    (tmp_path / "builtin.json").write_text(json.dumps({"row": "builtin", "items": [item("apb_regs", 1.0),
                                                                                   item("watchdog", 0.5)]}))
    report = evaluate(EvaluateConfig(rows=["builtin"], designs=["apb_regs"], resume=True, out=str(tmp_path)))
    totals = json.loads(report.read_text())["rows"]["builtin"]["totals"]
    assert totals["designs"] == 1 and totals["average"] == 1.0
    assert "watchdog" not in (tmp_path / "report.txt").read_text()
