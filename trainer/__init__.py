"""Offline learning from pytest-llm4cov run logs: the LLM4Cov recipe (arXiv 2602.16953) as stages.

``collect`` (a teacher's runs) -> ``curate`` (execution-validated SFT examples, expert tests included)
-> ``train`` (LoRA SFT, reply tokens only) -> ``export`` (GGUF adapter for llama-cpp) -> ``student``
runs -> ``sample`` (worst states) -> ``synthesize`` (a teacher refines them) -> ``curate`` -> ``train``
(the next stage) ... -> ``evaluate`` (side by side with built-in, control, base and teacher). Each stage
reads and writes plain files and can run alone (``python -m trainer STAGE``) or in a pipeline
(``python -m trainer run trainer/configs/tiny.toml``). See docs/trainer.md.
"""
