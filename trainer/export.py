"""Stage ``export``: the trained student as GGUF for llama-cpp (what ``--llm4cov-model``/``-adapter`` load).

The LoRA adapter becomes a small GGUF adapter (llama.cpp's ``convert_lora_to_gguf.py`` from the
llama-cpp-python sdist) that llama-cpp applies on the base GGUF without merging: a few MB per
experiment. Optionally the merged model is written too (``convert_hf_to_gguf.py``, f16) and quantized
through llama-cpp's own quantize API. The export is checked by loading it: a file llama-cpp refuses
is an error here, not at the user's first run. A model card (JSON) beside the adapter names the base
(with the sha256 of its GGUF, so the plugin can tell whether a base file is the one trained on), the
data, the stages and the training figures.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.adapters import fingerprint
from trainer.config import check, option, record

QUANT_TYPES = {"q4_k_m": 15, "q5_k_m": 17, "q8_0": 7, "f16": 1}


@dataclass
class ExportConfig:
    """Parameters of ``export``."""

    train_dir: str = option("trainer-out/train", "the train stage's output folder (adapter/, base-config/, train.json)")
    base_gguf: str = option("", "the base model's GGUF, to check the adapter loads on it ('tiny': the tiny model)")
    merged: bool = option(False, "also write the merged model as GGUF (f16)")
    quantize: str = option("", f"quantize the merged GGUF to one of {', '.join(QUANT_TYPES)} ('' keeps f16)")
    outtype: str = option("f16", "the adapter's tensor type: f32, f16, bf16 or q8_0")
    ship_as: str = option("", "also copy the adapter and its card into the plugin's trained/ folder under this name")
    out: str = option("trainer-out/export", "output folder: adapter.gguf, model-card.json, merged GGUF files")

    def __post_init__(self) -> None:
        check(
            self.outtype in ("f32", "f16", "bf16", "q8_0"),
            "outtype",
            f"must be f32, f16, bf16 or q8_0, got {self.outtype!r}",
        )
        check(
            self.quantize in ("", *QUANT_TYPES),
            "quantize",
            f"must be one of {', '.join(QUANT_TYPES)}, got {self.quantize!r}",
        )
        check(not self.quantize or self.merged, "quantize", "needs merged = true")


def sha256_of(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _run(cmd: list[str], what: str) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-6:])
        raise Llm4covError(f"export: {what} failed:\n{tail}")


def base_gguf_path(spec: str) -> str:
    if spec == "tiny":
        from trainer.tiny_model import ensure_tiny_models

        return ensure_tiny_models()["gguf"]
    path = Path(spec).expanduser()
    if not path.is_file():
        raise Llm4covError(
            f"{path}: no such GGUF file (the student's base; fetch one: ../shared/fetch-model qwen2.5-coder-0.5b)"
        )
    return str(path)


def check_loads(base_gguf: str, adapter: str | None) -> None:
    """Load the GGUF (with the adapter) in llama-cpp and generate one token; raise one line if it fails."""
    from pytest_llm4cov.policy.llamacpp import LlamaCppPolicy

    policy = LlamaCppPolicy(model_path=base_gguf, lora_path=adapter, n_ctx=2048, max_tokens=8, threads=2)
    try:
        policy.llm.create_completion("module", max_tokens=1)
    finally:
        policy.close()


def export_gguf(config: ExportConfig) -> Path:
    """Convert the train stage's output; returns the GGUF adapter's path (the merged file with full fine-tuning)."""
    from trainer.tiny_model import ensure_llama_tools

    train = Path(config.train_dir)
    adapter_dir, model_dir = train / "adapter", train / "model"
    if not (adapter_dir / "adapter_config.json").is_file() and not (model_dir / "config.json").is_file():
        raise Llm4covError(f"{train}: no adapter/ or model/ from the train stage; run train first")
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    record(config, out, "export")
    tools = ensure_llama_tools()
    base_gguf = base_gguf_path(config.base_gguf) if config.base_gguf else ""
    produced: dict[str, Any] = {}
    result: Path
    if (adapter_dir / "adapter_config.json").is_file():
        result = out / "adapter.gguf"
        _run(
            [
                sys.executable,
                str(tools / "convert_lora_to_gguf.py"),
                str(adapter_dir),
                "--base",
                str(train / "base-config"),
                "--outfile",
                str(result),
                "--outtype",
                config.outtype,
            ],
            "converting the LoRA adapter to GGUF",
        )
        produced["adapter_gguf"] = {"path": result.name, "bytes": result.stat().st_size}
        if base_gguf:
            check_loads(base_gguf, str(result))
            produced["adapter_gguf"]["checked_on"] = Path(base_gguf).name
    if config.merged or not (adapter_dir / "adapter_config.json").is_file():
        merged_dir = model_dir if (model_dir / "config.json").is_file() else _merge(train, out)
        f16 = out / "model-f16.gguf"
        _run(
            [
                sys.executable,
                str(tools / "convert_hf_to_gguf.py"),
                str(merged_dir),
                "--outfile",
                str(f16),
                "--outtype",
                "f16",
            ],
            "converting the merged model to GGUF",
        )
        produced["merged_gguf"] = {"path": f16.name, "bytes": f16.stat().st_size}
        result = result if (adapter_dir / "adapter_config.json").is_file() else f16
        if config.quantize:
            quant = out / f"model-{config.quantize}.gguf"
            _quantize(f16, quant, config.quantize)
            produced["quantized_gguf"] = {"path": quant.name, "bytes": quant.stat().st_size}
        check_loads(str(f16), None)
    card = model_card(train, base_gguf, produced)
    (out / "model-card.json").write_text(json.dumps(card, indent=2) + "\n")
    if config.ship_as:
        ship(out / "adapter.gguf", card, config.ship_as)
    files = ", ".join(f"{k} {v['path']} ({v['bytes'] / 1e6:.1f} MB)" for k, v in produced.items())
    print(f"export: {files} -> {out}")
    return result


def ship(adapter: Path, card: dict[str, Any], name: str) -> Path:
    """Copy the adapter and its card into the plugin's adapters folder, where ``--llm4cov-model`` finds it."""
    import shutil

    from pytest_llm4cov.adapters import adapters_dir

    if not adapter.is_file() or not card.get("base_fingerprint"):
        raise Llm4covError("export: ship_as needs a LoRA adapter and base_gguf (the card must name the base)")
    folder = adapters_dir()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(adapter, folder / f"{name}.gguf")
    (folder / f"{name}.json").write_text(json.dumps({**card, "adapter_file": f"{name}.gguf"}, indent=2) + "\n")
    print(f"export: shipped as {folder / name}.gguf")
    return folder / f"{name}.gguf"


def _merge(train: Path, out: Path) -> Path:
    import peft

    from trainer.sft import load_base

    summary = json.loads((train / "train.json").read_text())
    model = load_base(summary["base"])
    merged = peft.PeftModel.from_pretrained(model, str(train / "adapter")).merge_and_unload()
    folder = out / "merged-hf"
    merged.save_pretrained(str(folder))
    from trainer.sft import load_tokenizer

    load_tokenizer(summary["base"]).save_pretrained(str(folder))
    return folder


def _quantize(src: Path, dst: Path, kind: str) -> None:
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = QUANT_TYPES[kind]
    if llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), params) != 0:
        raise Llm4covError(f"export: llama-cpp could not quantize {src.name} to {kind}")


def model_card(train: Path, base_gguf: str, produced: dict[str, Any]) -> dict[str, Any]:
    """What a user (and the plugin) needs to know about the adapter: base, data, stages, figures."""
    summary = json.loads((train / "train.json").read_text()) if (train / "train.json").is_file() else {}
    card: dict[str, Any] = {
        "schema": "llm4cov.model-card/1",
        "base": summary.get("base"),
        "base_gguf": Path(base_gguf).name if base_gguf else None,
        "base_gguf_sha256": sha256_of(base_gguf) if base_gguf else None,
        "base_fingerprint": fingerprint(base_gguf) if base_gguf else None,
        "adapter_file": "adapter.gguf" if "adapter_gguf" in produced else None,
        "files": produced,
        # where the plugin applies it (pytest_llm4cov/adapters.py): the modes its examples were kept for
        "modes": list((summary.get("config") or {}).get("modes") or []),
        "training": {
            k: summary.get(k)
            for k in (
                "examples",
                "trainable_parameters",
                "optimizer_steps",
                "train_loss",
                "wall_s",
                "peak_rss_gb",
                "torch_threads",
            )
        },
        "losses": summary.get("losses", [])[-20:],
        "config": summary.get("config"),
    }
    inference = prompt_settings_of((summary.get("config") or {}).get("examples") or [])
    if inference:
        card["inference"] = inference
    for name in ("data.json", "stages.json"):
        extra = train / name
        if extra.is_file():
            card[name.split(".")[0]] = json.loads(extra.read_text())
    return card


#: The prompt and reply caps a student must see at inference (curate's, recorded beside its examples).
INFERENCE_KEYS = ("hybrid_prompt_tokens", "hybrid_max_tokens")


def prompt_settings_of(example_files: list[str]) -> dict[str, int]:
    """The hybrid prompt settings the training examples were rendered with (``<examples>.config.json``,
    written by curate); the plugin applies them with the adapter. Examples rendered with different
    settings are an error: one adapter learns one prompt."""
    found: dict[str, int] = {}
    for name in example_files:
        config = Path(name).with_name(Path(name).name + ".config.json")
        if not config.is_file():
            continue  # examples made elsewhere: the plugin's defaults apply
        data = json.loads(config.read_text()).get("config") or {}
        mine = {k: int(data[k]) for k in INFERENCE_KEYS if k in data}
        if found and mine and mine != found:
            raise Llm4covError(f"export: {config} renders prompts with {mine}, another example file with {found}")
        found = found or mine
    return found
