"""The policy interface every testbench writer implements (built-in generator or model backend)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench


@dataclass(frozen=True)
class Proposal:
    """A policy's answer: the testbench, plus what the run log should keep about how it was made."""

    testbench: Testbench
    raw_text: str = ""  # a model's reply verbatim; empty for generators
    info: dict[str, Any] = field(default_factory=dict)


class Policy(ABC):
    """Maps a state to a new whole testbench. Holds configuration and caches only, never per-step data."""

    name: ClassVar[str]
    #: The step budget used when the user sets none (first attempt included).
    default_iterations: ClassVar[int] = 4

    @abstractmethod
    def propose(self, state: State, seed: int) -> Proposal:
        """A new testbench for ``state``; ``seed`` makes the choice reproducible."""

    def settings(self) -> dict[str, Any]:
        """What identifies this policy's behaviour in the run log."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook: backends release models here
        """Release what the policy holds (a loaded model)."""


POLICIES: dict[str, Callable[..., Policy]] = {}


def register(key: str) -> Callable[[type[Policy]], type[Policy]]:
    def deco(cls: type[Policy]) -> type[Policy]:
        POLICIES[key] = cls
        return cls

    return deco


def get_policy(name: str, **options: Any) -> Policy:
    """The policy registered as ``name``, built with ``options``."""
    # Importing the modules registers their policies; model backends stay lazy inside their classes.
    from pytest_llm4cov.policy import builtin, random_policy, sketch  # noqa: F401

    if name not in POLICIES:
        # Model backends register on import; their libraries (torch, llama_cpp) load only when built.
        from pytest_llm4cov.policy import hf, hybrid, llamacpp, openai_api, scripted  # noqa: F401
    try:
        factory = POLICIES[name]
    except KeyError:
        raise Llm4covError(f"unknown policy '{name}' (choose from {', '.join(sorted(POLICIES))})") from None
    return factory(**options)
