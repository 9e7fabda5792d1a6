"""Inference speed of the llama-cpp policy: prompt and generation tokens/s, and the prompt-cache effect.

    .venv/bin/python benchmarks/inference.py                       # the tiny test model (built if needed)
    .venv/bin/python benchmarks/inference.py --model "$(../shared/fetch-model qwen2.5-coder-1.5b)"

Renders the real prompts of one design (default counter4) through ``LlamaCppPolicy`` and reads
llama.cpp's own timers (``llama_perf_context``) around each completion:
- prompt: the first step's prompt evaluated cold (KV cache cleared), in tokens/s;
- generation: tokens/s while writing the reply (--max-tokens, EOS may end it earlier);
- cache: the second step of the same design (testbench + feedback after the same system + task) right
  after the first, against the same prompt evaluated cold; llama.cpp re-evaluates only what differs.
Prints the figures and the setup; writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tiny_model() -> str:
    done = subprocess.run([sys.executable, "-m", "trainer.tiny_model"], capture_output=True, text=True, check=True,
                          cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])["gguf"]


def timed(policy, messages, max_tokens: int, seed: int = 0) -> dict:
    import llama_cpp

    from dataclasses import replace

    ctx = policy.llm.ctx
    llama_cpp.llama_perf_context_reset(ctx)
    started = time.perf_counter()
    text, usage = policy._complete(messages, replace(policy.sampling, max_tokens=max_tokens, seed=seed))
    wall = time.perf_counter() - started
    perf = llama_cpp.llama_perf_context(ctx)
    return {
        "prompt_tokens": usage.prompt_tokens,
        "evaluated": perf.n_p_eval,
        "cached": usage.cached_tokens,
        "prompt_s": perf.t_p_eval_ms / 1000,
        "generated": perf.n_eval,
        "gen_s": perf.t_eval_ms / 1000,
        "wall_s": wall,
        "text": text,
    }


def rate(tokens: int, seconds: float) -> str:
    return f"{tokens / seconds:8.1f} tok/s" if seconds > 0 else "       - tok/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a .gguf file (default: the tiny random Qwen2 of the tests)")
    parser.add_argument("--design", default=str(ROOT / "designs" / "counter4"))
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--gpu-layers", type=int, default=0)
    args = parser.parse_args()

    from pytest_llm4cov.design import load_design
    from pytest_llm4cov.observation import Observation, Outcome
    from pytest_llm4cov.policy.llamacpp import LlamaCppPolicy
    from pytest_llm4cov.state import State
    from pytest_llm4cov.testbench import Testbench, module_name_for

    model = args.model or tiny_model()
    started = time.perf_counter()
    policy = LlamaCppPolicy(model, n_ctx=args.n_ctx, max_tokens=args.max_tokens, threads=args.threads,
                            gpu_layers=args.gpu_layers)
    load_s = time.perf_counter() - started
    design = load_design(args.design)
    s0 = State(design)
    first = policy.render(s0).as_list()

    # A second step as the loop makes it: the first reply's testbench, rejected, with its feedback.
    reply_tb = (ROOT / "tests" / "policy" / "replies" / "counter4_2_wrong_check.md").read_text()
    source = reply_tb.split("```python\n", 1)[1].split("```", 1)[0]
    obs = Observation(Outcome.TESTS_FAILED, built=True, error="test_counter failed: count 0 != 16",
                      log_tail="AssertionError: count 0 != 16\n" * 5)
    s1 = State(design, Testbench(source, module_name_for(design.top)), obs, 0)
    second = policy.render(s1).as_list()

    # Warm-up: the first decode allocates llama.cpp's compute buffers; keep that out of the figures.
    timed(policy, [{"role": "user", "content": "hello"}], 2)
    policy.reset_cache()
    cold_first = timed(policy, first, args.max_tokens)
    warm_second = timed(policy, second, 1)
    policy.reset_cache()
    cold_second = timed(policy, second, 1)

    print(f"model      {model}")
    print(f"setup      {policy.settings()['architecture']}, n_ctx {args.n_ctx}, threads {policy.threads}, "
          f"gpu layers {args.gpu_layers}, llama-cpp-python {policy.library_version}, {platform.machine()}, "
          f"{os.cpu_count()} cpus; load {load_s:.2f} s")
    print(f"design     {design.name}: step-1 prompt {cold_first['prompt_tokens']} tokens, "
          f"step-2 prompt {cold_second['prompt_tokens']} tokens")
    print(f"prompt     {cold_first['evaluated']:6d} tokens in {cold_first['prompt_s']:7.3f} s "
          f"{rate(cold_first['evaluated'], cold_first['prompt_s'])}  (step 1, cold)")
    print(f"generation {cold_first['generated']:6d} tokens in {cold_first['gen_s']:7.3f} s "
          f"{rate(cold_first['generated'], cold_first['gen_s'])}  (max {args.max_tokens})")
    print(f"step 2     cold: {cold_second['evaluated']:6d} tokens evaluated in {cold_second['prompt_s']:7.3f} s")
    print(f"           warm: {warm_second['evaluated']:6d} tokens evaluated in {warm_second['prompt_s']:7.3f} s "
          f"({warm_second['cached']} of {warm_second['prompt_tokens']} reused from step 1's KV cache)")
    if warm_second["prompt_s"] > 0:
        print(f"cache      step-2 prompt {cold_second['prompt_s'] / warm_second['prompt_s']:.1f}x faster with the "
              "prefix cache")
    policy.close()


if __name__ == "__main__":
    main()
