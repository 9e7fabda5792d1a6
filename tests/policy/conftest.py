"""Fixtures of the model-policy tests: counter4, recorded replies, and the tiny models built once per machine."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from conftest import DESIGNS

HERE = Path(__file__).parent
REPLIES = HERE / "replies"
INSTALL = "pip install -e '.[test,llm]' torch==2.13.0"


def reply(name: str) -> str:
    """A recorded model reply from tests/policy/replies/."""
    return (REPLIES / name).read_text()


@pytest.fixture(scope="session")
def counter4():
    from pytest_llm4cov.design import load_design

    return load_design(DESIGNS / "counter4")


def _require(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (not importable): {INSTALL}")


@pytest.fixture(scope="session")
def tiny_models() -> dict[str, str]:
    """A random tiny Qwen2 with the real Qwen2 tokenizer, as a transformers dir and a GGUF (trainer/tiny_model.py)."""
    _require("torch", "transformers", "numpy")
    from trainer.tiny_model import TinyModelError, ensure_tiny_models

    try:
        return ensure_tiny_models()
    except TinyModelError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"tiny test models: {exc}")
        pytest.skip(f"tiny test models could not be built here: {exc}")


@pytest.fixture(scope="session")
def tiny_gguf(tiny_models) -> Path:
    _require("llama_cpp")
    return Path(tiny_models["gguf"])


@pytest.fixture(scope="session")
def tiny_hf_dir(tiny_models) -> Path:
    return Path(tiny_models["hf"])
