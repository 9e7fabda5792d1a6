"""Training: loss on the reply tokens only, and it decreases on a tiny set (the tiny random Qwen2, real PEFT)."""

from __future__ import annotations

import json

import pytest

from trainer.examples import Example, write_examples
from trainer.sft import SftConfig, encode, load_tokenizer, train_sft


def example(i: int) -> Example:
    messages = [
        {"role": "system", "content": "Write cocotb tests."},
        {"role": "user", "content": f"Module m{i}: drive `a` and read `y`."},
    ]
    target = f"```python\nimport cocotb\n\n@cocotb.test()\nasync def test_m{i}(dut):\n    dut.a.value = {i}\n```"
    return Example(
        "model", f"m{i}", "h", messages, target, "teacher:test", "start", 1.0, 0.0, 1.0, "llm4cov-prompt/2", 40, 30
    )


@pytest.fixture(scope="session")
def tiny_set(tmp_path_factory):
    path = tmp_path_factory.mktemp("sft") / "examples.jsonl"
    write_examples(path, [example(i) for i in range(3)])
    return path


def test_labels_mask_the_prompt(tiny_hf_dir):
    tok = load_tokenizer(str(tiny_hf_dir))
    ex = example(1)
    ids, n_reply = encode(tok, ex.messages, ex.target)
    reply = tok.decode(ids[-n_reply:])
    assert reply == ex.target + "<|im_end|>"
    assert tok.decode(ids[:-n_reply]).endswith("<|im_start|>assistant\n")


def tiny_config(tiny_set, out, max_steps: int) -> SftConfig:
    """A few constant-rate LoRA steps on the tiny set, checkpointing every 6."""
    return SftConfig(
        examples=[str(tiny_set)], base="tiny", max_steps=max_steps, grad_accum=1, learning_rate=1e-2,
        warmup_ratio=0.0, scheduler="constant", lora_r=8, save_steps=6, threads=1, out=str(out),
    )


@pytest.fixture(scope="session")
def trained_tiny(tiny_models, tiny_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("train")
    train_sft(tiny_config(tiny_set, out, 12))
    return out


def test_training_loss_decreases(trained_tiny):
    summary = json.loads((trained_tiny / "train.json").read_text())
    losses = [loss for _step, loss in summary["losses"]]
    assert len(losses) == 12
    # A random tiny model starts near ln(151k) = 11.9 nats; LoRA must pull the reply tokens' loss down.
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.2, losses
    assert (trained_tiny / "adapter" / "adapter_config.json").is_file()
    assert (trained_tiny / "base-config" / "config.json").is_file()
    assert summary["examples"]["kept"] == 3


def test_training_resumes_from_its_checkpoint(trained_tiny, tiny_set, capsys):
    """A longer run into the same folder picks up at the last checkpoint instead of starting over."""
    train_sft(tiny_config(tiny_set, trained_tiny, 14))
    printed = capsys.readouterr().out
    assert "resuming from" in printed and "checkpoint-12" in printed
    summary = json.loads((trained_tiny / "train.json").read_text())
    assert summary["optimizer_steps"] == 14
    assert [s for s, _ in summary["losses"]][-2:] == [13, 14]


def test_too_long_examples_are_counted_and_refused(tiny_set, tmp_path):
    config = SftConfig(examples=[str(tiny_set)], base="tiny", max_seq_tokens=16, max_steps=1, out=str(tmp_path))
    from pytest_llm4cov import Llm4covError

    with pytest.raises(Llm4covError, match="3 longer than max_seq_tokens=16"):
        train_sft(config)
