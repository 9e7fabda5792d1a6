"""``python -m trainer``: the LLM4Cov offline recipe as subcommands, one per stage, plus ``run`` for all.

Each stage's flags are generated from its config dataclass; ``--config FILE.toml`` gives a stage its
settings from a file (the file's ``[stage]`` table, or its top level), and flags override the file.
"""

from __future__ import annotations

import argparse
import sys

from pytest_llm4cov import Llm4covError
from trainer.config import add_arguments, from_arguments, read_toml


def _stages() -> dict[str, tuple[type, object, str]]:
    from trainer.collect import CollectConfig, collect
    from trainer.curate import CurateConfig, curate
    from trainer.evaluate import EvaluateConfig, evaluate
    from trainer.export import ExportConfig, export_gguf
    from trainer.sample import SampleConfig, sample_states
    from trainer.sft import SftConfig, train_sft
    from trainer.synthesize import SynthesizeConfig, synthesize

    return {
        "collect": (CollectConfig, collect, "run a teacher policy over a corpus, writing run logs"),
        "curate": (CurateConfig, curate, "execution-validated curation: run logs and expert tests -> SFT examples"),
        "sample": (SampleConfig, sample_states, "worst-state-prioritized sampling of the student's states"),
        "synthesize": (SynthesizeConfig, synthesize, "a teacher refines the sampled states (DAgger-style)"),
        "train": (SftConfig, train_sft, "LoRA (or full) fine-tuning on curated examples, reply tokens only"),
        "export": (ExportConfig, export_gguf, "the adapter (and optionally the merged model) as GGUF"),
        "evaluate": (EvaluateConfig, evaluate, "the student beside built-in, control, base and teacher"),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trainer",
        description="Build the agent's model offline from pytest-llm4cov run logs (the LLM4Cov recipe).",
    )
    sub = parser.add_subparsers(dest="command", metavar="STAGE")
    run = sub.add_parser("run", help="run the pipeline a config file describes (trainer/configs/*.toml)")
    run.add_argument("config", help="the pipeline's TOML file")
    run.add_argument("--only", default="", help="run only these stages (comma-separated), wiring the rest")
    run.add_argument("--out", default=None, help="the root output folder (default: the file's out)")
    run.add_argument("--dry-run", action="store_true", help="check every stage's settings and wiring, run nothing")
    for name, (cls, _fn, text) in _stages().items():
        p = sub.add_parser(name, help=text, description=(cls.__doc__ or text).strip())
        p.add_argument("--config", help="a TOML file with this stage's settings (its [%s] table or top level)" % name)
        add_arguments(p, cls)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "run":
            from trainer.pipeline import run_pipeline

            run_pipeline(
                args.config, [s for s in args.only.split(",") if s] or None, out=args.out, dry_run=args.dry_run
            )
            return 0
        cls, fn, _text = _stages()[args.command]
        base = {}
        if args.config:
            data = read_toml(args.config)
            base = dict(data.get(args.command, data))
        config = from_arguments(cls, args, base)
        fn(config)
        return 0
    except Llm4covError as exc:
        print(f"trainer: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "trainer: stopped; rerun the same command to resume (collect, train and evaluate pick up where they were)",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
