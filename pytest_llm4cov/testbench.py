"""A testbench: the Python source of one cocotb test module, and the name it is imported under."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Testbench:
    """One cocotb test module. ``module`` is the import name cocotb is given (a file ``module.py``)."""

    source: str
    module: str = "test_llm4cov"

    __test__ = False  # not a pytest test class, despite the name

    def __post_init__(self) -> None:
        if not _IDENT.match(self.module) or self.module in {"cocotb", "cocotb_tools", "pytest"}:
            raise ValueError(f"testbench module name {self.module!r} is not a usable Python module name")

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()[:16]

    @property
    def is_empty(self) -> bool:
        return not self.source.strip()


def module_name_for(top: str) -> str:
    """The import name for a testbench of ``top``: ``test_<top>`` made a valid identifier."""
    cleaned = re.sub(r"\W", "_", top)
    return f"test_{cleaned}"
