"""Tests of the model policies: prompt, reply parsing, backends, best-of-k."""
