"""The bundled corpus: metadata of every design, the split, and (slow) every reference reaching its target."""

from __future__ import annotations

import re
import sys
from collections import Counter

import pytest

from conftest import DESIGNS
from pytest_llm4cov.design import HARD_KINDS, load_config, load_design
from pytest_llm4cov.testbench import Testbench

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

NAMES = sorted(p.name for p in DESIGNS.iterdir() if (p / "llm4cov.toml").is_file())
REQUIRED = ("top", "target", "split", "category", "difficulty", "hard_for_random", "description")


def test_corpus_size_split_and_categories():
    configs = {n: load_config(DESIGNS / n) for n in NAMES}
    assert len(configs) >= 40
    splits = Counter(c.split for c in configs.values())
    assert set(splits) == {"train", "eval"}
    assert 0.2 <= splits["eval"] / len(configs) <= 0.4  # about 70/30
    by_split = {s: {c.category for c in configs.values() if c.split == s} for s in ("train", "eval")}
    assert by_split["train"] == by_split["eval"], "every category must be in both splits"
    hard = [n for n, c in configs.items() if c.hard_for_random]
    assert len(hard) >= len(configs) / 3


@pytest.mark.parametrize("name", NAMES)
def test_design_metadata(name):
    folder = DESIGNS / name
    raw = tomllib.loads((folder / "llm4cov.toml").read_text())
    for key in REQUIRED:
        assert key in raw, f"{name}/llm4cov.toml lacks {key}"
    assert raw["split"] in ("train", "eval")
    assert raw["difficulty"] in ("easy", "medium", "hard")
    assert set(raw["hard_for_random"]) <= set(HARD_KINDS)
    assert 0.5 <= raw["target"] <= 1.0
    spec = (folder / "spec.md").read_text()
    assert re.search(r"^\|.*port.*\|", spec, re.I | re.M), f"{name}/spec.md has no ports table"
    assert (folder / "reference" / f"test_{name}.py").is_file()
    design = load_design(folder)  # parses and elaborates with pyslang, top as configured
    assert design.top == raw["top"]
    lines = sum(t.count("\n") for t in design.rtl_text.values())
    assert 20 <= lines <= 400, f"{name}: {lines} lines of RTL"
    if "clock" in raw:
        assert design.interface.clock == raw["clock"]
    if "reset" in raw:
        assert design.interface.reset.name == raw["reset"]
        assert design.interface.reset.active_low == raw["reset_active_low"]


@pytest.mark.slow
@pytest.mark.simulator
@pytest.mark.parametrize("name", NAMES)
def test_reference_reaches_target(name, evaluator):
    design = load_design(DESIGNS / name)
    tb = Testbench((DESIGNS / name / "reference" / f"test_{name}.py").read_text(), f"test_{name}")
    obs = evaluator.evaluate(design.build, tb, seed=1)
    assert obs.passed, f"{name}: {obs.outcome.value}: {obs.error}"
    assert obs.score >= design.target - 1e-9, f"{name}: score {obs.score:.4f} below target {design.target}"
