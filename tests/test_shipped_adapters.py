"""The adapters shipped in the package: each card loads, and one base never has two students for one mode."""

from __future__ import annotations

import json

from pytest_llm4cov.adapters import adapters_dir, shipped


def test_every_shipped_card_loads_with_its_adapter_file():
    cards = sorted(adapters_dir().glob("*.json"))
    assert cards, "no shipped adapter"
    loaded = {a.name for a in shipped()}
    assert loaded == {c.stem for c in cards}  # a broken card would silently ship nothing
    for card in cards:
        data = json.loads(card.read_text())
        assert data["base_fingerprint"] and data["adapter_file"] == f"{card.stem}.gguf"


def test_one_base_has_at_most_one_student_naming_each_mode():
    named = [(a.base_fingerprint, mode) for a in shipped() for mode in a.modes]
    assert len(named) == len(set(named))
    whole_module = [a.name for a in shipped() if "model" in a.modes]
    assert whole_module == ["qwen2.5-coder-0.5b-instruct-wm4"]
