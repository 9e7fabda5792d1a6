"""pytest-llm4cov: coverage closure for RTL by an agent that writes cocotb testbenches.

This module holds the version and the error/warning base classes only; it imports nothing heavy,
because pytest imports the plugin (and so this package) in every run of anyone who installs it.
"""

from __future__ import annotations

__version__ = "0.1.0"


class Llm4covError(Exception):
    """A problem the user can fix: the message is one line naming the file or option and the fix."""


class Llm4covWarning(Warning):
    """Base of every warning this package emits."""
