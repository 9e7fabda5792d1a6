"""Fixtures of the trainer tests: the tiny models (shared with the model-policy tests) and the bundled designs."""

from __future__ import annotations

from policy.conftest import tiny_gguf, tiny_hf_dir, tiny_models
