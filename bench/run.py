"""Run the benchmarks of bench/ and print each result against its baseline.

    python -m bench.run               # every bench/<name>.py that defines main()
    python -m bench.run --only append # one of them

Results go to bench/results.json (rewritten after each benchmark module finishes).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import pkgutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import msgspec

from bench.common import Result, progress, target_met

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_PATH = BENCH_DIR / "results.json"
NOT_BENCHMARKS = frozenset({"run", "common", "__init__", "__main__"})
JSON_FIELDS = ("name", "value", "unit", "baseline", "baseline_value", "ratio", "target")


def discover() -> list[str]:
    """The names of bench/*.py modules that may hold a benchmark, in name order."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(BENCH_DIR)])
        if not info.ispkg and info.name not in NOT_BENCHMARKS and not info.name.startswith("_")
    )


def load(name: str) -> ModuleType | None:
    module = importlib.import_module(f"bench.{name}")
    return module if callable(getattr(module, "main", None)) else None


def run_module(module: ModuleType) -> list[Result]:
    main = module.main
    outcome = asyncio.run(main()) if inspect.iscoroutinefunction(main) else main()
    if not isinstance(outcome, list) or not all(isinstance(r, Result) for r in outcome):
        raise TypeError(f"{module.__name__}.main() must return a list of Result")
    return outcome


def format_number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def table(results: Sequence[Result]) -> str:
    header = ("name", "value", "unit", "baseline", "baseline value", "ratio", "target", "met")
    rows = [header]
    for r in results:
        met = target_met(r)
        rows.append(
            (
                r.name,
                format_number(r.value),
                r.unit,
                r.baseline or "-",
                format_number(r.baseline_value),
                "-" if r.ratio is None else f"{r.ratio:.2f}x",
                r.target or "-",
                "-" if met is None else ("yes" if met else "NO"),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    numeric = {1, 4, 5}
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_results(results: Sequence[Result]) -> None:
    rows = [{field: getattr(r, field) for field in JSON_FIELDS} for r in results]
    RESULTS_PATH.write_bytes(msgspec.json.format(msgspec.json.encode(rows), indent=2) + b"\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--only", metavar="NAME", help="run only bench/NAME.py")
    args = parser.parse_args(argv)

    names = discover()
    if args.only is not None:
        only = str(args.only).removeprefix("bench.").removesuffix(".py")
        if only not in names:
            parser.error(f"no benchmark {only!r}; known: {', '.join(names) or 'none'}")
        names = [only]

    results: list[Result] = []
    for name in names:
        module = load(name)
        if module is None:
            continue
        progress(f"== {name} ==")
        started = time.perf_counter()
        results.extend(run_module(module))
        write_results(results)
        progress(f"== {name} done in {time.perf_counter() - started:.1f} s ==")

    if not results:
        progress("no benchmark produced results")
        return 1
    print()
    print(table(results))
    print(f"\nwritten to {RESULTS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
