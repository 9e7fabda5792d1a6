"""Entry point of ``python -m pytest_llm4cov``."""

import sys

from pytest_llm4cov.cli import main

sys.exit(main())
