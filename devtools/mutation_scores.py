"""Each mutated module's kill ratio, from the results mutmut keeps beside its mutants
(scripts/mutation). Exits 1 when a module with mutants is below --at-least, or when any
mutant has not been checked yet.

A mutant counts as killed when a test failed on it or it timed out (a mutant that loops
forever is caught); it survives when every test passed, and "no tests" when no test ran
the function at all: both lower the ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

KILLED = {1, 3, 24, -24, 36, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}
NOT_CHECKED = {None}


def module_scores(mutants: Path) -> dict[str, tuple[int, int, int, int]]:
    """Module path -> (killed, survived, no tests, not checked)."""
    scores = {}
    source = mutants / "src"
    for meta in sorted(source.rglob("*.py.meta")):
        codes = list(json.loads(meta.read_text())["exit_code_by_key"].values())
        if not codes:
            continue
        name = str(meta.relative_to(source))[: -len(".meta")]
        scores[name] = (
            sum(code in KILLED for code in codes),
            sum(code in SURVIVED for code in codes),
            sum(code in NO_TESTS for code in codes),
            sum(code in NOT_CHECKED for code in codes),
        )
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mutants", type=Path, help="mutmut's mutants/ directory")
    parser.add_argument("--at-least", type=float, default=92.0, help="kill ratio, percent")
    args = parser.parse_args()
    scores = module_scores(args.mutants)
    if not scores:
        print(f"no mutation results under {args.mutants}", file=sys.stderr)
        return 1
    failing = []
    print(f"{'module':32} {'mutants':>7} {'killed':>7} {'survived':>8} {'no tests':>8} "
          f"{'ratio':>7}")
    for name, (killed, survived, no_tests, not_checked) in scores.items():
        total = killed + survived + no_tests + not_checked
        ratio = 100.0 * killed / total
        mark = ""
        if ratio < args.at_least or not_checked:
            failing.append(name)
            mark = "  < target" if not not_checked else f"  {not_checked} not checked"
        print(f"{name:32} {total:7} {killed:7} {survived:8} {no_tests:8} {ratio:6.1f}%{mark}")
    all_killed = sum(s[0] for s in scores.values())
    all_total = sum(sum(s) for s in scores.values())
    print(f"{'all':32} {all_total:7} {all_killed:7} {'':8} {'':8} "
          f"{100.0 * all_killed / all_total:6.1f}%")
    if failing:
        print(f"below {args.at_least:g}% or unfinished: {', '.join(failing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
