"""Contamination check: training designs too close to an eval design are left out, and the report says so.

LLM4Cov's rule: Rouge-L F1 >= 0.5 on whitespace tokens between a training and an evaluation design.
The longest common subsequence is computed bit-parallel (Allison-Dix / Hyyro: one big-integer
add-and-mask per token of one text), so comparing every pair of designs takes seconds, not hours.
Comments are kept: a copied design with renamed signals still shares its comments and keywords.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: LLM4Cov's threshold.
ROUGE_L_THRESHOLD = 0.5


def tokens(text: str) -> list[str]:
    return text.split()


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two token sequences."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for j, tok in enumerate(b):
        masks[tok] = masks.get(tok, 0) | (1 << j)
    full = (1 << len(b)) - 1
    v = full
    for tok in a:
        u = v & masks.get(tok, 0)
        v = ((v + u) | (v - u)) & full
    return len(b) - bin(v).count("1")


def rouge_l(a: str, b: str) -> float:
    """Rouge-L F1 (beta 1) of two texts on whitespace tokens."""
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return 0.0
    return 2.0 * lcs_length(ta, tb) / (len(ta) + len(tb))


@dataclass(frozen=True)
class Overlap:
    design: str
    closest_eval: str
    rouge_l: float

    @property
    def contaminated(self) -> bool:
        return self.rouge_l >= ROUGE_L_THRESHOLD


def overlaps(train: Mapping[str, str], evals: Mapping[str, str], threshold: float = ROUGE_L_THRESHOLD) -> list[Overlap]:
    """For each training design (name -> RTL text), its closest eval design and their Rouge-L F1.

    A design that is itself an eval design (same name) scores 1.0 against it.
    """
    out = []
    for name, text in sorted(train.items()):
        best, best_score = "", 0.0
        for ename, etext in evals.items():
            score = 1.0 if ename == name else rouge_l(text, etext)
            if score > best_score:
                best, best_score = ename, score
        out.append(Overlap(name, best, round(best_score, 4)))
    return out
