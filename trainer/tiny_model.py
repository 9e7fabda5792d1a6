"""Tiny random Qwen2 models with the real Qwen2 tokenizer, built locally (no hub): the model tests' fixture and
the ``tiny`` preset's base model (CI runs the whole training pipeline on it), and llama.cpp's converters.

The tokenizer is the vocab-only ``models/ggml-vocab-qwen2.gguf`` that the llama-cpp-python sdist
carries; the weights are a random ``Qwen2Config`` causal LM; the GGUF comes from the sdist's own
``convert_hf_to_gguf.py``. Such a model writes garbage, fast and deterministically, through the real
backends. Built once per machine under ``<llm4cov cache>/test-models/<key>``, the key naming every
version that matters; concurrent builders (xdist workers) serialise on a file lock.

The converters (``convert_hf_to_gguf.py``, ``convert_lora_to_gguf.py``) come from the same sdist and are kept
under ``<llm4cov cache>/llama-tools/<version>`` (``ensure_llama_tools``) for the trainer's export stage.

    python -m trainer.tiny_model          # builds if needed, prints {"hf": DIR, "gguf": FILE}
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

RECIPE = 2  # bump when the model below or its cache layout changes
DEFAULT_LLAMA_VERSION = "0.3.36"
VOCAB = "models/ggml-vocab-qwen2.gguf"
TOOLS = ("convert_hf_to_gguf.py", "convert_lora_to_gguf.py", "conversion/", "gguf-py/", VOCAB)
CONFIG = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 32768,
    "tie_word_embeddings": True,
}


class TinyModelError(Exception):
    """The tiny models could not be built (no sdist, a failed conversion); the message says which step."""


def _version(dist: str, default: str | None = None) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return default


def cache_root(kind: str = "test-models") -> Path:
    env = os.environ.get("LLM4COV_CACHE_DIR")
    if env:
        return Path(env) / kind
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "llm4cov" / kind


def build_once(root: Path, key: str, build: Callable[[Path], None]) -> Path:
    """``root/key``, made once by ``build(folder)`` in a temporary folder renamed into place when it
    succeeds; concurrent builders (xdist workers, parallel stages) wait on a file lock for the first one."""
    target = root / key
    if (target / "done").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with (root / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / "done").is_file():
            return target
        work = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=root))
        try:
            build(work)
            (work / "done").write_text(key)
            if target.exists():
                shutil.rmtree(target)
            work.rename(target)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    return target


def ensure_llama_tools(root: Path | None = None) -> Path:
    """llama.cpp's converters, their packages and the Qwen2 vocab, extracted once from the llama-cpp-python
    sdist of the installed version (pip downloads it if needed)."""
    version = _version("llama_cpp_python", DEFAULT_LLAMA_VERSION) or DEFAULT_LLAMA_VERSION
    root = root or cache_root("llama-tools")

    def build(work: Path) -> None:
        extract_tools(find_sdist(version, root), work)

    return build_once(root, version, build)


def model_key(llama_version: str) -> str:
    parts = {
        "recipe": RECIPE,
        "config": CONFIG,
        "llama_cpp_python": llama_version,
        "torch": _version("torch"),
        "transformers": _version("transformers"),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def find_sdist(version: str, root: Path) -> Path:
    """The llama-cpp-python sdist: $LLM4COV_LLAMA_SDIST, a cached copy, or pip's download of it."""
    env = os.environ.get("LLM4COV_LLAMA_SDIST")
    if env:
        if not Path(env).is_file():
            raise TinyModelError(f"LLM4COV_LLAMA_SDIST={env}: no such file")
        return Path(env)
    folder = root / "sdist"
    cached = folder / f"llama_cpp_python-{version}.tar.gz"
    if cached.is_file():
        return cached
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        "-q",
        f"llama-cpp-python=={version}",
        "-d",
        str(folder),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not cached.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
        raise TinyModelError(f"could not download the llama-cpp-python {version} sdist with pip: {tail[0]}")
    return cached


def extract_tools(sdist: Path, dest: Path) -> Path:
    """The converter, its packages and the Qwen2 vocab from the sdist, under ``dest``."""
    with tarfile.open(sdist) as tar:
        members = []
        for m in tar.getmembers():
            parts = m.name.split("/", 3)
            if len(parts) < 4 or parts[1:3] != ["vendor", "llama.cpp"]:
                continue
            rel = parts[3]
            if any(rel == t or (t.endswith("/") and rel.startswith(t)) for t in TOOLS) and (m.isfile() or m.isdir()):
                m.name = rel
                members.append(m)
        if not any(m.name == VOCAB for m in members):
            raise TinyModelError(f"{sdist}: no {VOCAB} in this sdist")
        tar.extractall(dest, members=members, filter="data")
    return dest


def build_hf(vocab: Path, out: Path) -> None:
    """A random tiny Qwen2 causal LM with the real Qwen2 tokenizer, saved with save_pretrained."""
    import torch
    from transformers import AutoTokenizer, GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    tok = AutoTokenizer.from_pretrained(str(vocab.parent), gguf_file=vocab.name)
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    config = Qwen2Config(vocab_size=len(tok), bos_token_id=tok.bos_token_id, eos_token_id=im_end, **CONFIG)
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tok.bos_token_id, eos_token_id=[im_end, tok.eos_token_id], pad_token_id=tok.eos_token_id
    )
    model.save_pretrained(str(out))
    tok.save_pretrained(str(out))


def ensure_tiny_models(root: Path | None = None) -> dict[str, str]:
    """Build (once) and return {"hf": model directory, "gguf": GGUF file, "key": cache key}."""
    root = root or cache_root()
    version = _version("llama_cpp_python", DEFAULT_LLAMA_VERSION) or DEFAULT_LLAMA_VERSION
    key = model_key(version)

    def build(work: Path) -> None:
        tools = ensure_llama_tools()
        hf = work / "tiny-qwen2"
        _run([sys.executable, __file__, "build-hf", str(tools / VOCAB), str(hf)], "building the tiny HF model")
        _run(
            [
                sys.executable,
                str(tools / "convert_hf_to_gguf.py"),
                str(hf),
                "--outfile",
                str(work / "tiny-qwen2.gguf"),
                "--outtype",
                "f16",
            ],
            "converting it to GGUF",
        )

    target = build_once(root, key, build)
    return {"hf": str(target / "tiny-qwen2"), "gguf": str(target / "tiny-qwen2.gguf"), "key": key}


def _run(cmd: list[str], what: str) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise TinyModelError(f"{what} failed:\n{tail}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "build-hf":
        build_hf(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        print(json.dumps(ensure_tiny_models()))
