"""``python -m trainer``: the subcommands, flags generated from the configs, and one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT
from trainer.__main__ import main
from trainer.config import from_mapping
from trainer.curate import CurateConfig
from trainer.pipeline import run_pipeline


def test_help_lists_every_stage():
    done = subprocess.run([sys.executable, "-m", "trainer", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0
    for stage in ("run", "collect", "curate", "sample", "synthesize", "train", "export", "evaluate"):
        assert stage in done.stdout


def test_stage_flags_come_from_the_config(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    assert "--lora-r" in text and "--max-seq-tokens" in text and "(default: 1e-05)" in text


def test_out_of_range_value_is_one_error_line(capsys):
    assert main(["curate", "--contamination", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "contamination must be in (0, 1]" in err[0]


def test_config_file_keys_are_checked(tmp_path, capsys):
    bad = tmp_path / "c.toml"
    bad.write_text("[curate]\ncontamnation = 0.4\n")
    assert main(["curate", "--config", str(bad)]) == 2
    assert "unknown key 'contamnation'" in capsys.readouterr().err
    with pytest.raises(Exception, match="must be a list"):
        from_mapping(CurateConfig, {"modes": "model"}, "x.toml")


def test_command_line_wins_over_the_file(tmp_path):
    from trainer.config import from_arguments

    cfg = tmp_path / "c.toml"
    cfg.write_text('[sample]\nmargin = 0.3\nout = "a.jsonl"\n')
    from trainer.__main__ import build_parser
    from trainer.sample import SampleConfig

    args = build_parser().parse_args(["sample", "--config", str(cfg), "--margin", "0.2"])
    import tomllib

    config = from_arguments(SampleConfig, args, tomllib.loads(cfg.read_text())["sample"])
    assert config.margin == 0.2 and config.out == "a.jsonl"


def test_pipeline_file_errors_name_the_problem(tmp_path):
    from pytest_llm4cov import Llm4covError

    cfg = tmp_path / "p.toml"
    cfg.write_text('stages = ["collect", "cook"]\n')
    with pytest.raises(Llm4covError, match="unknown stage 'cook'"):
        run_pipeline(cfg)
    cfg.write_text('stages = ["collect"]\n[curate]\nexperts = false\n')
    with pytest.raises(Llm4covError, match="'curate' is neither a setting"):
        run_pipeline(cfg)


def test_a_student_stage_without_an_exported_student_is_an_error(tmp_path):
    """collect applies no adapter it is not given, so a student stage with no export before it would sample the
    bare base and call it the student."""
    from pytest_llm4cov import Llm4covError

    cfg = tmp_path / "p.toml"
    cfg.write_text('base_gguf = "base.gguf"\nstages = ["student"]\n')
    with pytest.raises(Llm4covError, match=r"\[student\]: samples the student, but no export stage comes before it"):
        run_pipeline(cfg, out=str(tmp_path / "o"), dry_run=True)
    cfg.write_text('base_gguf = "base.gguf"\nstages = ["synthesize"]\n[synthesize]\nteacher = "student"\n')
    with pytest.raises(Llm4covError, match="no export stage comes before it"):
        run_pipeline(cfg, out=str(tmp_path / "o"), dry_run=True)
    cfg.write_text('base_gguf = "base.gguf"\nstages = ["student"]\n[student]\nadapter = "mine.gguf"\n')
    run_pipeline(cfg, out=str(tmp_path / "o"), dry_run=True)  # named: fine


@pytest.mark.parametrize("preset", sorted(p.stem for p in (ROOT / "trainer" / "configs").glob("*.toml")))
def test_presets_are_valid(preset, tmp_path, capsys):
    """Every stage table of each preset is a valid config and the stages wire up (nothing runs)."""
    ctx = run_pipeline(ROOT / "trainer" / "configs" / f"{preset}.toml", out=str(tmp_path), dry_run=True)
    assert ctx["adapter_gguf"].startswith(str(tmp_path))
    assert "skipped: wiring only" in capsys.readouterr().out
    assert not any(tmp_path.iterdir())


def test_consecutive_collects_are_curated_together(tmp_path):
    """Stage 0 of the CPU student collects twice (bundled train split, real-world train half): curate reads both."""
    ctx = run_pipeline(ROOT / "trainer" / "configs" / "cpu-0.5b-stage0.toml", out=str(tmp_path), dry_run=True)
    assert ctx["logs"] == [str(tmp_path / "collect" / "runlog.jsonl"), str(tmp_path / "collect1" / "runlog.jsonl")]
