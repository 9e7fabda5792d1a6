"""Offline learning from pytest-llm4cov run logs (the LLM4Cov recipe); stages arrive in a later issue."""
