"""Scale: ``reconciler apply`` and ``reconciler plan`` of 100, 1,000 and 10,000 endpoints.

Each size runs on a fresh ``reconciler emulator serve`` (loopback, SQLite file, no injected
latency, ``--ready-after 0``) with a request log. Measured, for the reconciler process only:
wall time and peak resident memory (``VmHWM`` of that one process), and the API
calls it made (counted from the emulator's request log). Three runs per size:

1. ``apply --auto-approve`` on an empty workspace (creates every endpoint, waits);
2. ``plan --detailed-exitcode`` right after (must be empty: exit 0);
3. ``apply --auto-approve`` after a tag edit on every endpoint (one PATCH each).

The shape to look for: calls grow linearly with N (plan: 1 list + N GETs; create: 2 lists +
N POSTs + polls; tag edit: N GETs + N PATCHes + N verification GETs + 1 list), time grows
with calls, and memory stays under 300 MB at 10,000.

    .venv/bin/python bench/scale.py [--sizes 100 1000 10000] [--parallelism 16] [--no-tag-edit]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from reliability.generated import TOKEN_ENV, read_log, set_manifests, write_project
from support.emulator_server import EmulatorServer
from support.measured_process import run_reconciler


def run_cli(root: Path, token: str, *args: str) -> dict[str, object]:
    """One reconciler process: its exit code, seconds and peak RSS (MB).

    The peak is that process's own ``VmHWM`` (tests/support/measured_process.py): ``wait4``'s
    ``ru_maxrss`` would start from this script's size at fork time, which grows with the
    request log it reads.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    env[TOKEN_ENV] = token
    run = run_reconciler([args[0], "-C", str(root), *args[1:]], env=env)
    if run.returncode != 0:
        sys.stderr.write(run.stderr.decode(errors="replace")[-3000:])
    return {"exit": run.returncode, "seconds": round(run.seconds, 2),
            "peak_rss_mb": round(run.peak_rss_mb, 1)}


def calls_since(log: Path, start: int) -> tuple[int, dict[str, int]]:
    rows = read_log(log)
    counts = Counter(r["method"] for r in rows[start:])
    return len(rows), dict(sorted(counts.items()))


def bench_size(size: int, parallelism: int, work: Path,
               tag_edit: bool = True) -> list[dict[str, object]]:
    log = work / f"requests-{size}.jsonl"
    rows: list[dict[str, object]] = []
    with EmulatorServer.start(db_path=work / f"scale-{size}.db", request_log=log,
                              log_path=work / f"server-{size}.log") as server:
        root = write_project(work / f"project-{size}", size,
                             target=f"{{host: '{server.url}', token_env: {TOKEN_ENV}, max_rps: 0}}")
        par = ("--parallelism", str(parallelism))
        seen = 0
        for label, args in (
            ("apply (create all)", ("apply", "--auto-approve", *par)),
            ("plan (no changes)", ("plan", "--detailed-exitcode", *par)),
            ("apply (tag edit on all)", ("apply", "--auto-approve", *par)),
        ):
            if label.startswith("apply (tag"):
                if not tag_edit:
                    break
                set_manifests(root, size, tier="silver")
            result = run_cli(root, server.token, *args)
            seen_now, by_method = calls_since(log, seen)
            seen = seen_now
            row = {"endpoints": size, "run": label, **result,
                   "api_calls": sum(by_method.values()), "by_method": by_method}
            print(json.dumps(row), flush=True)
            assert result["exit"] == 0, row
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--no-tag-edit", action="store_true",
                        help="skip run 3 (at 10,000 it makes 40,001 calls)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        results = [row for size in args.sizes
                   for row in bench_size(size, args.parallelism, Path(tmp),
                                          tag_edit=not args.no_tag_edit)]
    print("| endpoints | run | API calls | time | calls/s | peak RSS |")
    print("|---|---|---|---|---|---|")
    for row in results:
        rate = float(str(row["api_calls"])) / max(float(str(row["seconds"])), 1e-9)
        print(f"| {row['endpoints']:,} | {row['run']} | {row['api_calls']:,} | "
              f"{row['seconds']} s | {rate:.0f} | {row['peak_rss_mb']} MB |")


if __name__ == "__main__":
    main()
