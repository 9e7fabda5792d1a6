"""Stage ``train``: supervised fine-tuning of the student on curated examples (transformers + PEFT).

LoRA by default (full fine-tuning as an option), loss on the reply tokens only. The prompt is the
chat template applied to the example's messages with the generation prompt, exactly as the inference
backends format it; the target is the reply plus the end-of-turn token. Only the reply positions'
logits are computed (``logits_to_keep``): with a 151k vocabulary the prompt's logits would cost more
memory than the model. Batches are single sequences (no padding), the effective batch is gradient
accumulation. Checkpoints every ``save_steps`` optimizer steps; a stopped run resumes from the last
one with nothing lost (``resume``). Runs unchanged under ``accelerate launch`` for several GPUs.

A base is a Hugging Face directory, a GGUF file (transformers dequantizes Qwen2 GGUF to fp32, so the
fetched Qwen2.5-Coder weights train on CPU), or ``tiny`` (the random tiny Qwen2 of the tests).
Progressive stages chain through ``init_adapter`` (stage 1 starts from stage 0's adapter).
"""

from __future__ import annotations

import json
import math
import os
import resource
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pytest_llm4cov import Llm4covError
from trainer.config import check, option, record
from trainer.examples import read_examples

#: Every attention and MLP projection of a Qwen2/Llama block.
QWEN_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
IM_END = "<|im_end|>"


@dataclass
class SftConfig:
    """Parameters of ``train``. Defaults are LLM4Cov's published stage settings: lr 1e-5, AdamW, cosine
    schedule with 3% warmup, 1 epoch, effective batch 24 (bf16 and 32k context on their GPUs)."""

    examples: list[str] = option(["trainer-out/curate/examples.jsonl"], "curated example files (JSONL)")
    base: str = option("", "the base model: a HF directory, a GGUF file, or 'tiny'")
    modes: list[str] = option(["model", "hybrid"], "train on examples of these modes")
    init_adapter: str = option("", "continue from this PEFT adapter (the previous stage's)")
    full_finetune: bool = option(False, "train every weight instead of a LoRA adapter")
    lora_r: int = option(16, "LoRA rank")
    lora_alpha: int = option(32, "LoRA alpha")
    lora_dropout: float = option(0.05, "LoRA dropout")
    target_modules: list[str] = option(QWEN_TARGETS, "modules LoRA adapts")
    learning_rate: float = option(1e-5, "peak learning rate")
    epochs: float = option(1.0, "passes over the examples")
    max_steps: int = option(0, "stop after this many optimizer steps (0: epochs decide)")
    grad_accum: int = option(24, "sequences per optimizer step (the effective batch)")
    warmup_ratio: float = option(0.03, "share of the steps spent warming up")
    scheduler: str = option("cosine", "learning-rate schedule (transformers' names)")
    weight_decay: float = option(0.0, "AdamW weight decay")
    max_seq_tokens: int = option(2048, "drop examples longer than this (prompt + reply), counted before training")
    bf16: bool = option(False, "bfloat16 training (GPUs; no gain on AVX2 CPUs)")
    gradient_checkpointing: bool = option(False, "recompute activations (less memory, about a third slower)")
    threads: int = option(0, "torch CPU threads (0: torch's default)")
    save_steps: int = option(10, "checkpoint every this many optimizer steps")
    logging_steps: int = option(1, "log the loss every this many optimizer steps")
    seed: int = option(0, "shuffling and dropout seed")
    resume: bool = option(True, "resume from the last checkpoint in out")
    out: str = option("trainer-out/train", "output folder: checkpoints, adapter/, train.json")

    def __post_init__(self) -> None:
        check(self.learning_rate > 0, "learning_rate", f"must be > 0, got {self.learning_rate}")
        check(self.epochs > 0 or self.max_steps > 0, "epochs", "or max_steps must be > 0")
        check(self.grad_accum >= 1, "grad_accum", f"must be >= 1, got {self.grad_accum}")
        check(0 <= self.warmup_ratio < 1, "warmup_ratio", f"must be in [0, 1), got {self.warmup_ratio}")
        check(self.max_seq_tokens >= 16, "max_seq_tokens", f"must be >= 16, got {self.max_seq_tokens}")
        check(self.lora_r >= 1, "lora_r", f"must be >= 1, got {self.lora_r}")


# -- the base model ------------------------------------------------------------------------------------


def resolve_base(base: str) -> tuple[str, str | None]:
    """(directory, gguf file name or None) for a base spec; ``tiny`` builds the tiny test model once."""
    if base == "tiny":
        from trainer.tiny_model import ensure_tiny_models

        return ensure_tiny_models()["hf"], None
    path = Path(base).expanduser()
    if not base:
        raise Llm4covError("train: no base model (give base = a HF directory, a GGUF file, or 'tiny')")
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise Llm4covError(f"{path}: no such GGUF model file (fetch one: ../shared/fetch-model qwen2.5-coder-0.5b)")
        return str(path.parent), path.name
    if not (path / "config.json").is_file():
        raise Llm4covError(f"{path}: not a Hugging Face model directory (no config.json) nor a .gguf file")
    return str(path), None


@lru_cache(maxsize=4)
def load_tokenizer(base: str) -> Any:
    """The base model's tokenizer (and chat template): from its directory or its GGUF's metadata."""
    from transformers import AutoTokenizer

    folder, gguf = resolve_base(base)
    try:
        return AutoTokenizer.from_pretrained(folder, gguf_file=gguf) if gguf else AutoTokenizer.from_pretrained(folder)
    except (OSError, ValueError) as exc:
        raise Llm4covError(f"{base}: cannot load a tokenizer from it ({str(exc).splitlines()[0][:200]})") from None


def load_base(base: str, dtype: Any = None):
    """The base causal LM in fp32 (or ``dtype``), ready to train: a GGUF-loaded model has its quantizer mark
    cleared, which would otherwise refuse ``save_pretrained``."""
    import torch
    from transformers import AutoModelForCausalLM

    folder, gguf = resolve_base(base)
    kwargs: dict[str, Any] = {"dtype": dtype or torch.float32}
    if gguf:
        kwargs["gguf_file"] = gguf
    try:
        model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
    except (OSError, ValueError) as exc:
        raise Llm4covError(f"{base}: transformers cannot load this model ({str(exc).splitlines()[0][:200]})") from None
    for attr in ("hf_quantizer",):
        if getattr(model, attr, None) is not None:
            setattr(model, attr, None)
    if getattr(model, "is_quantized", False):
        model.is_quantized = False
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config
    return model


# -- examples -> token sequences -----------------------------------------------------------------------


def chat_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The prompt text the inference backends feed the model: the chat template with the generation prompt
    (ChatML, Qwen's format, when the tokenizer carries no template)."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    parts = [f"<|im_start|>{m['role']}\n{m['content']}{IM_END}\n" for m in messages]
    return "".join(parts) + "<|im_start|>assistant\n"


def end_of_turn(tokenizer: Any) -> str:
    vocab = tokenizer.get_vocab()
    return IM_END if IM_END in vocab else (tokenizer.eos_token or "")


def encode(tokenizer: Any, messages: list[dict[str, str]], target: str) -> tuple[list[int], int]:
    """(token ids of prompt + reply + end of turn, number of reply tokens incl. the end of turn)."""
    prompt = tokenizer(chat_prompt(tokenizer, messages), add_special_tokens=False)["input_ids"]
    reply = tokenizer(target + end_of_turn(tokenizer), add_special_tokens=False)["input_ids"]
    return prompt + reply, len(reply)


def build_dataset(config: SftConfig, tokenizer: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Tokenized examples (input_ids, labels with the prompt masked) and the counts: kept, too long, by mode."""
    rows: list[dict[str, Any]] = []
    counts: dict[str, Any] = {"read": 0, "other_mode": 0, "too_long": 0, "kept": 0, "tokens": 0, "reply_tokens": 0}
    for path in config.examples:
        for ex in read_examples(path):
            counts["read"] += 1
            if ex.mode not in config.modes:
                counts["other_mode"] += 1
                continue
            ids, n_reply = encode(tokenizer, ex.messages, ex.target)
            if len(ids) > config.max_seq_tokens:
                counts["too_long"] += 1
                continue
            labels = [-100] * (len(ids) - n_reply) + ids[-n_reply:]
            rows.append({"input_ids": ids, "labels": labels, "n_reply": n_reply})
            counts["tokens"] += len(ids)
            counts["reply_tokens"] += n_reply
    counts["kept"] = len(rows)
    if not rows:
        raise Llm4covError(
            f"train: no example to train on ({counts['read']} read, {counts['too_long']} longer than "
            f"max_seq_tokens={config.max_seq_tokens}, {counts['other_mode']} of other modes)"
        )
    return rows, counts


# -- training ------------------------------------------------------------------------------------------


def reply_loss(model: Any, inputs: dict[str, Any], num_items: Any = None):
    """Cross-entropy over the reply tokens only, computing logits for those positions alone."""
    import torch

    ids = inputs["input_ids"]
    labels = inputs["labels"]
    n_reply = int((labels[0] != -100).sum())
    out = model(input_ids=ids, attention_mask=inputs.get("attention_mask"), logits_to_keep=n_reply + 1)
    logits = out.logits[:, :-1, :].float()
    target = labels[:, -n_reply:]
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="sum")
    if num_items is not None:
        return loss / num_items
    return loss / n_reply


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024)


def train_sft(config: SftConfig) -> Path:
    """Fine-tune; returns the adapter folder (or the full model's folder with ``full_finetune``)."""
    import torch
    from transformers import PrinterCallback, Trainer, TrainerCallback, TrainingArguments, set_seed
    from transformers.trainer_utils import get_last_checkpoint

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    record(config, out, "train")
    if config.threads:
        torch.set_num_threads(config.threads)
    set_seed(config.seed)
    started = time.monotonic()
    tokenizer = load_tokenizer(config.base)
    rows, counts = build_dataset(config, tokenizer)
    model = load_base(config.base, torch.bfloat16 if config.bf16 else None)
    load_s = time.monotonic() - started
    model = _adapt(model, config)
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        if hasattr(model, "enable_input_require_grads"):
            model.enable_input_require_grads()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    steps_per_epoch = math.ceil(len(rows) / config.grad_accum)
    total_steps = config.max_steps or math.ceil(steps_per_epoch * config.epochs)
    print(
        f"train: {len(rows)} examples ({counts['tokens']:,} tokens, {counts['reply_tokens']:,} in replies; "
        f"{counts['too_long']} over {config.max_seq_tokens} tokens dropped), {trainable:,} trainable parameters, "
        f"{total_steps} optimizer steps of {config.grad_accum} sequences"
    )

    class Dataset(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return len(rows)

        def __getitem__(self, i: int) -> dict[str, Any]:
            return rows[i]

    def collate(batch: list[dict[str, Any]]) -> dict[str, Any]:
        row = batch[0]  # single sequences: no padding, and the reply is always the tail
        return {"input_ids": torch.tensor([row["input_ids"]]), "labels": torch.tensor([row["labels"]])}

    class ReplyTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            loss = reply_loss(model, inputs, num_items_in_batch)
            return (loss, None) if return_outputs else loss

    class Progress(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                elapsed = time.monotonic() - started
                eta = elapsed / max(1, state.global_step) * (state.max_steps - state.global_step)
                print(
                    f"train: step {state.global_step}/{state.max_steps} loss {logs['loss']:.4f} "
                    f"lr {logs.get('learning_rate', 0):.2e}  {elapsed:.0f} s elapsed, ETA {eta:.0f} s",
                    flush=True,
                )

    args = TrainingArguments(
        output_dir=str(out / "checkpoints"),
        per_device_train_batch_size=1,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps or -1,
        warmup_steps=max(0, round(config.warmup_ratio * total_steps)),
        lr_scheduler_type=config.scheduler,
        weight_decay=config.weight_decay,
        optim="adamw_torch",
        bf16=config.bf16,
        logging_steps=config.logging_steps,
        save_steps=config.save_steps,
        save_total_limit=2,
        seed=config.seed,
        report_to=[],
        remove_unused_columns=False,
        dataloader_num_workers=0,
        disable_tqdm=True,
        use_cpu=not torch.cuda.is_available(),
    )
    trainer = ReplyTrainer(
        model=model, args=args, train_dataset=Dataset(), data_collator=collate, callbacks=[Progress()]
    )
    trainer.remove_callback(PrinterCallback)  # Progress prints the same, with the ETA
    last = get_last_checkpoint(str(out / "checkpoints")) if config.resume and (out / "checkpoints").is_dir() else None
    if last:
        print(f"train: resuming from {last}")
    result = trainer.train(resume_from_checkpoint=last)
    final = out / ("model" if config.full_finetune else "adapter")
    trainer.model.save_pretrained(str(final))
    tokenizer.save_pretrained(str(final))
    base_config = out / "base-config"
    _base_config(model).save_pretrained(str(base_config))  # what convert_lora_to_gguf.py reads of the base
    losses = [(e["step"], e["loss"]) for e in trainer.state.log_history if "loss" in e]
    summary = {
        "base": config.base,
        "examples": counts,
        "trainable_parameters": trainable,
        "optimizer_steps": trainer.state.global_step,
        "losses": losses,
        "train_loss": result.training_loss,
        "load_s": round(load_s, 1),
        "wall_s": round(time.monotonic() - started, 1),
        "peak_rss_gb": round(_peak_rss_gb(), 2),
        "torch_threads": torch.get_num_threads(),
        "config": asdict(config),
        "output": str(final),
    }
    (out / "train.json").write_text(json.dumps(summary, indent=2) + "\n")
    first, end = (losses[0][1], losses[-1][1]) if losses else (float("nan"), float("nan"))
    print(
        f"train: done in {summary['wall_s']:.0f} s, loss {first:.4f} -> {end:.4f}, peak RSS "
        f"{summary['peak_rss_gb']:.1f} GB -> {final}"
    )
    return final


def _adapt(model: Any, config: SftConfig) -> Any:
    if config.full_finetune:
        return model
    try:
        import peft
    except ImportError:
        raise Llm4covError("train: LoRA needs peft: pip install 'pytest-llm4cov[train]'") from None
    if config.init_adapter:
        path = Path(config.init_adapter)
        if not (path / "adapter_config.json").is_file():
            raise Llm4covError(
                f"{path}: not a PEFT adapter folder (no adapter_config.json); give the previous stage's adapter/"
            )
        return peft.PeftModel.from_pretrained(model, str(path), is_trainable=True)
    lora = peft.LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(config.target_modules),
        task_type="CAUSAL_LM",
    )
    return peft.get_peft_model(model, lora)


def _base_config(model: Any) -> Any:
    """The base model's config as llama.cpp's converter needs it: a GGUF-loaded config names no
    ``architectures``, from which the converter picks the tensor layout."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = base.config
    if not getattr(config, "architectures", None):
        config.architectures = [type(base).__name__]
    return config


os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
