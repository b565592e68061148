"""Re-draft each seed plan and compare with its hand-written catalog: recovered, missed, extra.

    .venv/bin/python bench/drafting.py [--seeds DIR] [--show]

A hand-written target is recovered when a drafted entry has the same year, comparator and
value (and upper end for a range); among several, the one with the most similar name. Budget:
at least 95% recovered per plan, extra entries at most 10% of those drafted. Exit 1 if missed.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indicators import catalog_ids, load
from indicators.drafting import draft
from indicators.plans import read_plan
from submissions.settings import settings

RECOVERED, EXTRA = 0.95, 0.10


def same(hand, drafted) -> bool:
    target = hand.target
    return (
        drafted.year == target.year
        and drafted.comparator == target.comparator
        and abs(drafted.value - target.value) <= 1e-9 * max(1.0, abs(target.value))
        and (target.high is None or drafted.high == target.high)
    )


def compare(cid: str, folder: Path) -> dict:
    catalog = load(cid).catalog
    plan = read_plan(folder / catalog.seed)
    drafted = list(draft(plan.text).targets)
    missed, matched = [], set()
    for hand in catalog.targeted:
        candidates = [(i, d) for i, d in enumerate(drafted) if i not in matched and same(hand, d)]
        if not candidates:
            missed.append(hand)
            continue
        best = max(
            candidates, key=lambda c: difflib.SequenceMatcher(None, hand.name, c[1].name).ratio()
        )
        matched.add(best[0])
    extra = [d for i, d in enumerate(drafted) if i not in matched]
    total = len(catalog.targeted)
    return {
        "catalog": cid,
        "hand": total,
        "drafted": len(drafted),
        "recovered": total - len(missed),
        "missed": missed,
        "extra": extra,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=None)
    parser.add_argument("--show", action="store_true", help="list missed and extra entries")
    args = parser.parse_args()
    folder = args.seeds or settings().seeds_dir
    if not folder.is_dir():
        print(f"找不到规划原文目录 {folder}（设置 VALIDATE_SEEDS_DIR）", file=sys.stderr)
        return 2
    rows = [compare(cid, folder) for cid in catalog_ids()]
    print("| plan | hand-written | drafted | recovered | missed | extra | recovered % | extra % |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    ok = True
    for row in rows:
        recovered = row["recovered"] / row["hand"]
        extra = len(row["extra"]) / max(1, row["drafted"])
        ok &= recovered >= RECOVERED and extra <= EXTRA
        print(
            f"| {row['catalog']} | {row['hand']} | {row['drafted']} | {row['recovered']} | "
            f"{len(row['missed'])} | {len(row['extra'])} | {recovered:.0%} | {extra:.0%} |"
        )
    hand = sum(r["hand"] for r in rows)
    recovered = sum(r["recovered"] for r in rows)
    drafted = sum(r["drafted"] for r in rows)
    extra = sum(len(r["extra"]) for r in rows)
    print(
        f"| all | {hand} | {drafted} | {recovered} | {hand - recovered} | {extra} | "
        f"{recovered / hand:.0%} | {extra / max(1, drafted):.0%} |"
    )
    if args.show:
        for row in rows:
            for hand_target in row["missed"]:
                t = hand_target.target
                print(f"{row['catalog']} missed: {hand_target.name} {t.year} {t.comparator} "
                      f"{t.value} ← {hand_target.source.quote[:70]}")  # fmt: skip
            for d in row["extra"]:
                print(f"{row['catalog']} extra: {d.name} {d.year} {d.comparator} {d.value} "
                      f"← {d.quote[:70]}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
