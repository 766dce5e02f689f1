"""python -m tests.generator --count 10000 --seed 0 [--out DIR] [--jobs 2]
python -m tests.generator --show SEED        print the program for one seed
python -m tests.generator --minimise SEED    shrink a disagreeing program to a small one

Run from the repository root with gradlint and torch installed (the `test` extra)."""
from __future__ import annotations

import argparse
import sys

from .programs import generate
from .runner import run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.generator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0, help="first seed; programs use seed .. seed+count-1")
    parser.add_argument("--jobs", type=int, default=2, help="probe processes (default 2)")
    parser.add_argument("--out", default="/tmp/gradlint_differential",
                        help="directory for disagreeing programs (default %(default)s)")
    parser.add_argument("--show", type=int, metavar="SEED")
    parser.add_argument("--minimise", type=int, metavar="SEED")
    parser.add_argument("--check", nargs="+", metavar="FILE", help="compare gradlint and torch on files")
    parser.add_argument("--avoid", default="", help="comma-separated constructs to leave out, e.g. "
                        "empty-if,optimizer,detach (to look past a known bug)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    avoid = [a for a in args.avoid.split(",") if a]
    if args.show is not None:
        sys.stdout.write(generate(args.show, avoid))
        return 0
    if args.check:
        import tempfile
        from pathlib import Path
        from .runner import run_sources
        with tempfile.TemporaryDirectory() as workdir:
            sources = {Path(f).stem: Path(f).read_text(encoding="utf-8") for f in args.check}
            for verdict in run_sources(sources, workdir):
                print(f"{verdict.seed}: {'agrees' if verdict.agrees else verdict.describe()} "
                      f"(torch {({k: verdict.probe.get(k) for k in ('nonleaf_reads', 'late_retain_reads', 'optimizer_errors')})})")
        return 0
    if args.minimise is not None:
        from .minimise import minimise
        source, verdict = minimise(generate(args.minimise, avoid))
        sys.stdout.write(source)
        print(f"# {verdict}")
        return 0

    def progress(summary):
        if not args.quiet:
            print(f"... {summary.programs} programs, {summary.agreeing} agree", file=sys.stderr, flush=True)

    summary = run(args.count, args.seed, args.jobs, args.out, progress=progress, avoid=avoid)
    print(summary.report())
    if summary.disagreements:
        print(f"disagreeing programs written to {args.out}/ (first: "
              f"{', '.join(f'seed_{v.seed}' for v in summary.disagreements[:10])})")
    return 0 if not summary.disagreements else 1


if __name__ == "__main__":
    sys.exit(main())
