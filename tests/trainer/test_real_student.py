"""The real student's path on real weights: Qwen2.5-Coder-0.5B from its GGUF through transformers + PEFT (one LoRA
step), export to a GGUF adapter, and the adapter applied by llama-cpp on the same GGUF.

Marked ``model`` (fetched weights, ~2 min of CPU): it proves that what ``cpu-0.5b.toml`` trains is what the
plugin can load, not that one step teaches anything.
"""

from __future__ import annotations

import json

import pytest
from policy.test_real_model import real_gguf

from trainer.examples import Example, write_examples
from trainer.export import ExportConfig, export_gguf
from trainer.sft import SftConfig, train_sft

pytestmark = pytest.mark.model


def test_lora_step_on_the_gguf_base_exports_and_loads(real_gguf, tmp_path):
    messages = [
        {"role": "system", "content": "You write cocotb tests."},
        {"role": "user", "content": "Write a scenario that sets `en` and steps 4 cycles."},
    ]
    target = '```python\nasync def scenario_enable(tb, dut):\n    tb.set("en", 1)\n    await tb.step(4)\n```'
    write_examples(
        tmp_path / "ex.jsonl",
        [
            Example(
                "hybrid", "d", "h", messages, target, "teacher:test", "start", 1.0, 0.0, 1.0, "llm4cov-prompt/2", 30, 30
            )
        ],
    )
    train = tmp_path / "train"
    train_sft(
        SftConfig(
            examples=[str(tmp_path / "ex.jsonl")],
            base=str(real_gguf),
            max_steps=1,
            grad_accum=1,
            learning_rate=1e-4,
            threads=2,
            out=str(train),
        )
    )
    summary = json.loads((train / "train.json").read_text())
    assert summary["trainable_parameters"] == 8_798_208  # r=16 on every projection of the 0.5B
    adapter = export_gguf(ExportConfig(train_dir=str(train), base_gguf=str(real_gguf), out=str(tmp_path / "export")))
    card = json.loads((adapter.parent / "model-card.json").read_text())
    assert card["files"]["adapter_gguf"]["checked_on"] == real_gguf.name
    assert 1e6 < adapter.stat().st_size < 40e6  # a LoRA adapter, not a model
