"""Contamination: Rouge-L is computed right, and a planted near-copy of an eval design gives no training example."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DESIGNS
from trainer.collect import CollectConfig, collect
from trainer.contamination import lcs_length, overlaps, rouge_l
from trainer.curate import CurateConfig, curate
from trainer.examples import read_examples


def lcs_table(a, b) -> int:
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            d[i + 1][j + 1] = d[i][j] + 1 if x == y else max(d[i][j + 1], d[i + 1][j])
    return d[len(a)][len(b)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("abcde"), max_size=40), st.lists(st.sampled_from("abcde"), max_size=40))
def test_bit_parallel_lcs_matches_the_table(a, b):
    assert lcs_length(a, b) == lcs_table(a, b)


def test_rouge_l_bounds():
    text = (DESIGNS / "counter4" / "counter4.v").read_text()
    assert rouge_l(text, text) == 1.0
    assert rouge_l(text, "") == 0.0
    other = (DESIGNS / "uart_rx" / "uart_rx.v").read_text()
    assert 0.0 < rouge_l(text, other) < 0.5


def plant(tmp_path):
    """A corpus of an honest training design and a renamed, lightly edited copy of the eval design shift_delay."""
    corpus = tmp_path / "corpus"
    shutil.copytree(DESIGNS / "counter4", corpus / "counter4", ignore=shutil.ignore_patterns("reference"))
    copy = corpus / "delay_line"
    copy.mkdir()
    source = (DESIGNS / "shift_delay" / "shift_delay.v").read_text()
    source = re.sub(r"\bshift_delay\b", "delay_line", source).replace("// ", "// copied: ", 3)
    (copy / "delay_line.v").write_text(source)
    (copy / "llm4cov.toml").write_text('top = "delay_line"\nsplit = "train"\n')
    return corpus


def test_overlaps_flag_the_planted_copy(tmp_path):
    corpus = plant(tmp_path)
    evals = {p.name: (p / f"{p.name}.v").read_text() for p in (DESIGNS / "shift_delay", DESIGNS / "lfsr16")}
    table = {o.design: o for o in overlaps({p.name: (p / f"{p.name}.v").read_text() for p in corpus.iterdir()}, evals)}
    assert table["delay_line"].closest_eval == "shift_delay" and table["delay_line"].contaminated
    assert not table["counter4"].contaminated


@pytest.mark.simulator
def test_curate_drops_a_planted_near_copy(simulator, tmp_path):
    corpus = plant(tmp_path)
    log = collect(CollectConfig(corpus=[str(corpus)], iterations=1, out=str(tmp_path / "collect" / "runlog.jsonl")))
    out = curate(
        CurateConfig(
            runlogs=[str(log)],
            corpus=[str(corpus)],
            experts=False,
            modes=["model"],
            max_tokens=8192,  # the built-in testbench with its coverage tables is over 4,096 estimated tokens
            out=str(tmp_path / "examples.jsonl"),
        )
    )
    assert {e.design for e in read_examples(out)} == {"counter4"}
    report = json.loads((tmp_path / "examples.jsonl.report.json").read_text())
    assert report["contamination"]["excluded"] == ["delay_line"]
    flagged = {o["design"]: o for o in report["contamination"]["overlaps"]}
    assert flagged["delay_line"]["closest_eval"] == "shift_delay" and flagged["delay_line"]["rouge_l"] >= 0.5
    assert report["dropped"]["eval design or too close to one (contamination)"] >= 1
