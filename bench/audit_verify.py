"""`parcours audit verify` on a large journal: `.venv/bin/python bench/audit_verify.py --entries 1000000
--database-url postgres://…`.

On a fresh database: N entries written through the import's audit path (`audit.record_described`,
batches of 50,000 in their own transactions, as N imported pathways would), with a few different
actions; `parcours audit seal`; then `parcours audit verify`, run `--runs` times as the real command
in its own process (GNU time gives its peak RSS), alternating with another source tree's verify
(`--compare-src /path/to/old/src`) when given. Prints JSON: seconds to write and to seal, verify
seconds (as the command reports them) and peak memory of each run, and the ratio old / new.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from pathlib import Path

from run import bench_env, fresh_database, log, parcours, setup_django, timed_command

BATCH = 50_000
ACTIONS = ["pathways.pathway.opened", "households.household.created", "pathways.separation.imported"]


def write_entries(total: int) -> float:
    from parcours.core import audit
    from parcours.core.models import Department, Organisation, User

    caf, _ = Organisation.objects.get_or_create(
        kind="caf", department=Department.objects.get(code="92"), defaults={"name": "Caf 92"}
    )
    actor, _ = User.objects.get_or_create(
        email="banc.audit@bench.parcours.fr",
        defaults={"first_name": "Banc", "last_name": "Audit", "organisation": caf},
    )
    started = time.perf_counter()
    for start in range(0, total, BATCH):
        stop = min(total, start + BATCH)
        audit.record_described(
            actor if start % (2 * BATCH) else None,
            ACTIONS[(start // BATCH) % len(ACTIONS)],
            "pathways.pathway",
            (
                (str(n), f"Parcours n° {n} — dossier 92-{1_000_000 + n}", "92", f"household:{n}")
                for n in range(start + 1, stop + 1)
            ),
            data={"source": "banc", "file": f"lot-{start // BATCH:03d}.csv"},
        )
        log(f"{stop}/{total} entrées écrites")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=2, help="verify runs (the first warms the cache)")
    parser.add_argument("--reuse", action="store_true", help="verify the journal a previous run left")
    parser.add_argument(
        "--compare-src",
        default="",
        help="another tree's src/ (e.g. main before a change): its verify alternates",
    )
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="parcours-bench-audit-"))
    env = bench_env(args.database_url, data_dir)
    result: dict = {"database": args.database_url.split(":", 1)[0]}
    if not args.reuse:
        fresh_database(args.database_url)
        parcours(env, "migrate", "-v", "0")
        setup_django(env)
        result["write_seconds"] = round(write_entries(args.entries), 1)
        from django.db import connections

        connections.close_all()
        seconds, _, output = timed_command(env, "audit", "seal")
        result["seal_seconds"], result["seal_output"] = round(seconds, 1), output
    # Alternating (A B A B) when another source tree is given: the machine's load moves between runs.
    trees = {"this": env} | ({"other": {**env, "PYTHONPATH": args.compare_src}} if args.compare_src else {})
    runs: dict[str, list] = {name: [] for name in trees}
    for _ in range(args.runs):
        for name, tree_env in trees.items():
            seconds, peak, output = timed_command(tree_env, "audit", "verify")
            took = re.search(r"\(([\d.]+) s\)", output)
            runs[name].append(
                {"seconds": float(took[1]) if took else None, "process_seconds": round(seconds, 1),
                 "peak_rss_mb": round(peak / 1024), "load_average": [round(x, 2) for x in os.getloadavg()]}
            )  # fmt: skip
            log(f"{name} : {output}")
    result["verify_output"] = output if args.runs else None
    result["verify"] = runs["this"]
    if args.compare_src:
        result["verify_other_tree"] = {"src": args.compare_src, "runs": runs["other"]}
        result["other_over_this"] = [
            round(o["seconds"] / t["seconds"], 2) for o, t in zip(runs["other"], runs["this"], strict=True)
        ]
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
