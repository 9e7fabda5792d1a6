"""Policies: a state in, a new testbench out. ``get_policy(name)`` picks one by its registry key."""

from pytest_llm4cov.policy.base import POLICIES, Policy, Proposal, get_policy

__all__ = ["POLICIES", "Policy", "Proposal", "get_policy"]
