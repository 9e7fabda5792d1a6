"""Real small models against the built-in policy: whole-module mode, hybrid mode, same budget and seed.

Configurations: ``builtin``; ``model-0.5b`` / ``model-1.5b`` (the model writes whole testbenches);
``hybrid-0.5b`` / ``hybrid-1.5b`` (the built-in testbench plus model-written scenarios); ``control``
(the hybrid harness with a do-nothing scenario, ``await tb.step(1)``, and no model: what a hybrid
configuration gains over it is the model's, the rest is the harness's). Models are
Qwen2.5-Coder Instruct Q4_K_M GGUF files from ``../shared/fetch-model``, run with llama-cpp on the
CPU. Every configuration runs the loop in this process (one model load) with the same iterations
(default: a first attempt + 3 refinements) and seed, on the eval split by default.

Per design it prints: score, steps, model steps, share of model outputs that ran clean after and
before static repair, tokens in/out, wall time. "Clean": whole-module mode, the testbench passed;
hybrid mode, the model's new scenarios were extracted and each ran without raising (the scaffold
passing is not enough). "Before repair" evaluates the unrepaired testbench (kept in the run log when
a fix was applied) with the step's seed. Results go to OUT/<config>.json after each design, so a
long run can be stopped and resumed (``--resume``) and configurations run in separate processes;
``--report`` prints the table from those files without running anything.

    .venv/bin/python benchmarks/models.py [--configs builtin,hybrid-1.5b,...] [--designs a,b]
        [--split eval] [--iterations 4] [--seed 0] [--threads N] [--model-max-tokens 4096]
        [--out benchmarks/out/models] [--resume] [--report]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.bench import default_designs_dir, discover
from pytest_llm4cov.design import load_design
from pytest_llm4cov.evaluator import Evaluator
from pytest_llm4cov.loop import run_loop
from pytest_llm4cov.policy import get_policy
from pytest_llm4cov.runlog import RunLogWriter
from pytest_llm4cov.waivers import scoring_evaluator
from trainer.evaluate import summarize  # one definition of a clean model step, shared with the trainer

CONFIGS = ("builtin", "control", "model-0.5b", "model-1.5b", "hybrid-0.5b", "hybrid-1.5b")
MODELS = {"0.5b": "qwen2.5-coder-0.5b", "1.5b": "qwen2.5-coder-1.5b"}
FETCH = Path(__file__).resolve().parents[2] / "shared" / "fetch-model"


def model_path(size: str) -> str:
    name = MODELS[size]
    folder = Path(os.environ.get("LLM4COV_MODEL_DIR", Path.home() / ".cache" / "llm4cov" / "models"))
    hits = sorted(folder.glob(f"{name}*.gguf"))
    if hits:
        return str(hits[0])
    if FETCH.exists():
        return subprocess.run([sys.executable, str(FETCH), name], check=True, capture_output=True, text=True).stdout.strip()
    raise Llm4covError(f"no {name} GGUF in {folder}: run ../shared/fetch-model {name}")


def make_policy(config: str, threads: int | None, model_max_tokens: int):
    if config == "builtin":
        return get_policy("builtin")
    if config == "control":
        return get_policy("control")  # policy/hybrid.py control_policy: the harness + CONTROL_REPLY
    mode, size = config.split("-", 1)
    hybrid = mode == "hybrid"
    from pytest_llm4cov.policy.hybrid import DEFAULT_MAX_TOKENS, HybridPolicy

    backend = get_policy(
        "llama-cpp", model_path=model_path(size), threads=threads,
        max_tokens=DEFAULT_MAX_TOKENS if hybrid else model_max_tokens,
    )
    return HybridPolicy(backend) if hybrid else backend


def run_config(config: str, folders: list[Path], args: argparse.Namespace) -> None:
    out = args.out / f"{config}.json"
    done: dict[str, dict] = {}
    if args.resume and out.exists():
        done = {i["design"]: i for i in json.loads(out.read_text())["items"]}
    todo = [f for f in folders if f.name not in done]
    print(f"{config}: {len(todo)} designs to run ({len(done)} done), iterations {args.iterations}, seed {args.seed}",
          flush=True)
    if not todo:
        return
    started = time.monotonic()
    policy = make_policy(config, args.threads, args.model_max_tokens)
    load_s = time.monotonic() - started
    evaluator = Evaluator()
    settings = policy.settings()
    (args.out / "runs").mkdir(parents=True, exist_ok=True)
    log = RunLogWriter(args.out / "runs" / f"{config}.jsonl")
    try:
        for folder in todo:
            design = load_design(folder)
            t0 = time.monotonic()
            scoring = scoring_evaluator(design, evaluator)  # as the plugin scores it: waivers, unreachable code
            result = run_loop(design, policy, scoring, iterations=args.iterations, seed=args.seed, log=log)
            item = summarize(folder.name, design, result, scoring, time.monotonic() - t0)
            done[folder.name] = item
            print(f"  {config:12} {folder.name:20} {item['score']:7.1%} steps {item['steps']} "
                  f"clean {item['clean_after']}/{item['model_steps']} (before repair {item['clean_before']}) "
                  f"tokens {item['tokens_in']}/{item['tokens_out']} {item['wall_s']:.0f} s", flush=True)
            out.write_text(json.dumps({
                "config": config, "iterations": args.iterations, "seed": args.seed, "load_s": round(load_s, 1),
                "settings": settings, "items": [done[k] for k in sorted(done)],
            }, indent=1, default=str) + "\n")
    finally:
        policy.close()


def pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def report(configs: list[str], out: Path) -> None:
    runs = {}
    for c in configs:
        path = out / f"{c}.json"
        if path.exists():
            runs[c] = {i["design"]: i for i in json.loads(path.read_text())["items"]}
    if not runs:
        print(f"no results in {out}")
        return
    designs = sorted(set().union(*[set(r) for r in runs.values()]))
    print()
    print(f"{'design':20} " + " ".join(f"{c:>24}" for c in runs))
    print(f"{'':20} " + " ".join(f"{'score clean/before tok':>24}" for _ in runs))
    for d in designs:
        cells = []
        for r in runs.values():
            i = r.get(d)
            if i is None:
                cells.append(f"{'not run':>24}")
                continue
            clean = f"{i['clean_after']}/{i['model_steps']}/{i['clean_before']}" if i["model_steps"] else "-"
            toks = f"{i['tokens_out']}" if i["model_steps"] else ""
            cells.append(f"{pct(i['score']):>7} {clean:>8} {toks:>7}")
        print(f"{d:20} " + " ".join(f"{c:>24}" for c in cells))
    print()
    print(f"{'config':12} {'designs':>7} {'pass':>9} {'avg':>7} {'hard avg':>8} {'clean after':>12} "
          f"{'clean before':>12} {'tok in':>8} {'tok out':>8} {'wall s':>8}")
    for c, r in runs.items():
        items = list(r.values())
        hard = [i for i in items if i.get("difficulty") == "hard"]
        ms = sum(i["model_steps"] for i in items)
        ca = sum(i["clean_after"] for i in items)
        cb = sum(i["clean_before"] for i in items)
        print(
            f"{c:12} {len(items):>7} {sum(i['passed'] for i in items):>4}/{len(items):<4} "
            f"{pct(sum(i['score'] for i in items) / len(items)):>7} "
            f"{pct(sum(i['score'] for i in hard) / len(hard)) if hard else '-':>8} "
            f"{(pct(ca / ms) + f' ({ca}/{ms})') if ms else '-':>12} {(pct(cb / ms)) if ms else '-':>12} "
            f"{sum(i['tokens_in'] for i in items):>8} {sum(i['tokens_out'] for i in items):>8} "
            f"{sum(i['wall_s'] for i in items):>8.0f}"
        )
    if "builtin" in runs:
        base = runs["builtin"]
        for c, r in runs.items():
            if c == "builtin":
                continue
            common = [d for d in r if d in base]
            below = [d for d in common if r[d]["score"] < base[d]["score"] - 1e-9]
            above = [d for d in common if r[d]["score"] > base[d]["score"] + 1e-9]
            print(f"{c} vs builtin on {len(common)} designs: above on {len(above)} ({', '.join(above) or '-'}), "
                  f"below on {len(below)} ({', '.join(below) or '-'})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated, from {', '.join(CONFIGS)}")
    parser.add_argument("--split", choices=("eval", "train", "all"), default="eval")
    parser.add_argument("--designs", help="only these design folders (comma-separated)")
    parser.add_argument("--iterations", type=int, default=4, help="evaluations per design (4: first attempt + 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for llama-cpp (its default)")
    parser.add_argument("--model-max-tokens", type=int, default=4096, help="reply cap in whole-module mode (4096)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/models"))
    parser.add_argument("--resume", action="store_true", help="skip designs already in OUT/<config>.json")
    parser.add_argument("--report", action="store_true", help="only print the table from OUT/*.json")
    args = parser.parse_args(argv)
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        print(f"error: unknown configuration {', '.join(unknown)} (choose from {', '.join(CONFIGS)})", file=sys.stderr)
        return 2
    if not args.report:
        names = [n.strip() for n in (args.designs or "").split(",") if n.strip()] or None
        try:
            folders = discover(default_designs_dir(), None if names else args.split, names)
            for config in configs:
                run_config(config, folders, args)
        except Llm4covError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    report(configs, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
