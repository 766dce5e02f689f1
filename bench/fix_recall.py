#!/usr/bin/env python
"""How many of the None `.grad` reads torch finds in the CPU fixtures `--fix --unsafe-fixes` removes.

    python bench/fix_recall.py            # prints the numbers and why each remaining read stays
    python bench/fix_recall.py --list     # also lists every remaining read

Copies every fixture (tests/fixtures/*.py and the multi-file fixtures' directories; not the
`.fixed.py` snapshots, not those marked `# requires: cuda`) to a temporary directory, runs
`gradlint --fix --unsafe-fixes --no-cache` over the copies, and runs the originals and the copies
under torch (tests/runtime_probe.py): a None read is a line where torch saw `.grad` of a non-leaf
that does not retain grad, or of one retained only after its backward(). A fix breaks something when
the fixed copy raises an error the original did not. Each read left in a fixed copy is classified by
what gradlint says about that line there: the reason its message gives for having no fix, or that
gradlint does not report it at all. Not a test: torch is needed, and it takes a minute or two.
"""
from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from probing import Probing, cpus  # noqa: E402  (tests/: one process per CPU, torch imported once)
from fixture_marks import read_fixture  # noqa: E402

from gradlint import lint_source  # noqa: E402


def cpu_fixtures() -> list:
    """(what to copy, the script to run in the copy) for each fixture that runs on a CPU."""
    found = [(p, p.name) for p in sorted(FIXTURES.glob("*.py")) if not p.name.endswith(".fixed.py")]
    found += [(p.parent, f"{p.parent.name}/main.py") for p in sorted(FIXTURES.glob("*/main.py"))]
    return [(source, script) for source, script in found
            if not read_fixture(FIXTURES / script).needs_cuda]


def copy_all(fixtures, into: Path) -> None:
    for source, _ in fixtures:
        if source.is_dir():
            shutil.copytree(source, into / source.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, into / source.name)


def none_reads(probe: dict) -> set:
    return {(line, "GL003") for line in probe["late_retain_reads"]} | \
        {(line, "GL001/GL002") for line in probe["nonleaf_reads"]}


def why_left(path: Path, line: int) -> str:
    """What gradlint says about a read left in the fixed copy."""
    found = [d for d in lint_source(path.read_text(encoding="utf-8"), str(path)) if d.line == line]
    if not found:
        return "not reported by gradlint (a miss)"
    reasons = set()
    for diagnostic in found:
        match = re.search(r"no fix: ([^;]*)", diagnostic.message)
        reasons.add(classify(match.group(1)) if match else unexplained(diagnostic.message))
    return " / ".join(sorted(reasons))


def unexplained(message: str) -> str:
    """A finding without a fix whose message gives no `no fix:` reason: what kind of read it is."""
    if "no automatic fix" in message:
        return "no proven fix: the leaf fix is ruled out (written in place later)"
    if "a computed tensor" in message:
        return "no retain possible: a reparametrized weight (torch recomputes it; the leaf is elsewhere)"
    if "iteration" in message:
        return "no proven fix: None in some iterations of a loop that rebinds it"
    return "reported, no fix proven (no reason given)"


def classify(reason: str) -> str:
    if reason.startswith("no backward() runs after"):
        return "read before the backward() (no retain can fill it)"
    if "is shown to reach" in reason:
        return "no backward() shown to reach it (not in the loss, or joined branches)"
    return "no proven fix: " + re.sub(r"`[^`]*`", "`...`", reason)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list every read left after the fix")
    options = parser.parse_args()
    fixtures = cpu_fixtures()
    with tempfile.TemporaryDirectory(prefix="fix-recall-") as temporary:
        copies = Path(temporary)
        copy_all(fixtures, copies)
        subprocess.run([sys.executable, "-m", "gradlint", "--fix", "--unsafe-fixes", "--no-cache", "--isolated",
                        "--exit-zero", "-q", str(copies)], cwd=copies, stdout=subprocess.DEVNULL, check=True,
                       env={**__import__("os").environ, "PYTHONPATH": str(ROOT / "src")})
        originals = {script: FIXTURES / script for _, script in fixtures}
        fixed = {script: copies / script for _, script in fixtures}
        probes = Probing(list(originals.values()) + list(fixed.values()), cpus()).results()
        before = after = 0
        broken, left = [], collections.Counter()
        listing = []
        for script in sorted(originals):
            old, new = probes[str(originals[script])], probes[str(fixed[script])]
            before += len(none_reads(old))
            after += len(none_reads(new))
            if new["error"] and new["error"] != old["error"] or len(new["optimizer_errors"]) > len(old["optimizer_errors"]):
                broken.append(f"{script}: {new['error'] or new['optimizer_errors']}")
            for line, kind in sorted(none_reads(new)):
                reason = why_left(fixed[script], line)
                left[reason] += 1
                listing.append(f"  {script}:{line} ({kind}): {reason}")
    filled = before - after
    print(f"CPU fixtures: {len(fixtures)}")
    print(f"None reads torch finds: {before} before the fix, {after} after")
    print(f"filled by --fix --unsafe-fixes: {filled} of {before} ({100 * filled / max(before, 1):.0f}%)")
    print(f"fixed scripts that raise a new error: {len(broken)}")
    for entry in broken:
        print("  " + entry)
    print("reads left, by reason:")
    for reason, count in left.most_common():
        print(f"  {count:4}  {reason}")
    if options.list:
        print("\n".join(listing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
