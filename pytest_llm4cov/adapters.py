"""Trained LoRA adapters that ship with the plugin, applied to the base GGUF they were trained on.

A shipped adapter is a GGUF LoRA file in ``pytest_llm4cov/trained/`` with a model card beside it
(``<name>.json``, written by ``python -m trainer export``) naming the base model's fingerprint. With a
``.gguf`` model and no ``--llm4cov-adapter``, the adapter whose card matches the model file is applied;
``--llm4cov-adapter none`` turns that off, a path names any adapter. A GGUF that matches no card runs as
it is. ``LLM4COV_ADAPTERS_DIR`` points at another folder of adapters and cards (a team's own).

A card's ``modes`` (``hybrid``, ``model``: the modes of the examples it was trained on) say where it
applies: a student trained on scenarios is not the one to write whole testbenches, so one base can have
an adapter per mode. A card without ``modes`` applies in both.

The fingerprint is the sha256 of the file's size and its first 16 MiB: the GGUF header, metadata
(architecture, hyperparameters, the whole vocabulary) and the first tensors, so another model, another
quantization or another version of the same model all differ, at the cost of one short read.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

FINGERPRINT_BYTES = 16 << 20
OFF = ("none", "off")


def fingerprint(path: str | os.PathLike[str]) -> str:
    """A GGUF model file's identity for matching adapters to the base they were trained on."""
    p = Path(path)
    h = hashlib.sha256(str(p.stat().st_size).encode() + b"\0")
    with p.open("rb") as fh:
        h.update(fh.read(FINGERPRINT_BYTES))
    return h.hexdigest()


@dataclass(frozen=True)
class ShippedAdapter:
    name: str
    path: Path  # the GGUF adapter
    base: str  # what the card says the base is
    base_fingerprint: str
    #: the prompt settings its training examples were rendered with (``hybrid_prompt_tokens``...): a student
    #: sees at inference the prompt it learned from, so these replace the defaults when it is applied
    inference: dict = field(default_factory=dict)
    #: the modes it was trained for; empty: any
    modes: tuple[str, ...] = ()

    def serves(self, mode: str | None) -> bool:
        return mode is None or not self.modes or mode in self.modes


def adapters_dir() -> Path:
    env = os.environ.get("LLM4COV_ADAPTERS_DIR")
    return Path(env) if env else Path(str(resources.files("pytest_llm4cov").joinpath("trained")))


def shipped() -> list[ShippedAdapter]:
    """The adapters with a readable card and their GGUF file beside it, by name."""
    folder = adapters_dir()
    out = []
    for card in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(card.read_text())
            path = card.with_name(str(data["adapter_file"]))
            if path.is_file():
                base = str(data.get("base", "?"))
                modes = tuple(str(m) for m in data.get("modes") or ())
                base_fp = str(data["base_fingerprint"])
                out.append(ShippedAdapter(card.stem, path, base, base_fp, _inference(data), modes))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # a broken card ships nothing; the model runs without an adapter
    return out


def choose_adapter(
    model_path: str | os.PathLike[str], requested: str | None, mode: str | None = None
) -> tuple[str | None, str]:
    """(the adapter to apply or None, a one-line note on the choice; '' when there is nothing to say).

    ``mode`` (``hybrid`` or ``model``) prefers the adapter trained for it and skips those trained only for the
    other; None takes any."""
    if requested is not None and requested.strip().lower() in OFF:
        return None, "adapter: off (--llm4cov-adapter none)"
    if requested:
        return requested, ""
    candidates = shipped()
    if not candidates:
        return None, ""
    mine = fingerprint(model_path)
    ours = [a for a in candidates if a.base_fingerprint == mine]
    for adapter in sorted((a for a in ours if a.serves(mode)), key=lambda a: mode not in a.modes):
        note = f"adapter: applied the shipped '{adapter.name}' (trained on this base, {adapter.base})"
        return str(adapter.path), note
    if ours:
        names = ", ".join(f"'{a.name}' ({', '.join(a.modes)})" for a in ours)
        return None, (
            f"adapter: none applied: the shipped adapters for {Path(model_path).name} were trained for other modes "
            f"than {mode} ({names})"
        )
    names = ", ".join(f"'{a.name}' (base {a.base})" for a in candidates)
    return None, (
        f"adapter: none applied: {Path(model_path).name} is not the base any shipped adapter was trained on ({names})"
    )


def inference_settings(adapter_path: str | os.PathLike[str] | None) -> dict[str, int]:
    """The prompt settings on the card of the adapter at ``adapter_path``: a shipped one's, or those of a
    ``model-card.json`` beside an exported one; {} when there is no card."""
    if adapter_path is None:
        return {}
    path = Path(adapter_path).resolve()
    for adapter in shipped():
        if adapter.path.resolve() == path:
            return dict(adapter.inference)
    try:
        return _inference(json.loads(path.with_name("model-card.json").read_text()))
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def _inference(card: dict) -> dict[str, int]:
    """A model card's ``inference`` table (prompt settings), as integers."""
    return {k: int(v) for k, v in (card.get("inference") or {}).items()}
