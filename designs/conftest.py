"""The reference testbenches are cocotb modules that run inside a simulator, not pytest tests."""

collect_ignore_glob = ["*/reference/*"]
