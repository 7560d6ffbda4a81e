#!/usr/bin/env python3
"""P1 against its peer: reads the P1 BENCH_JSON line of the edge's benchmark log and the peer's
JSON line (cqrs-es + sqlite-es, ../shared/peer-bench), prints one BENCH_JSON line with the
ratio (target: >= 10x the peer's add-item rate on the same workload, same run).

    python3 scripts/bench_peer.py target/bench/p1.log target/bench/peer.json
"""
import json
import sys
from pathlib import Path


def p1_rate(log):
    for line in Path(log).read_text(errors="replace").splitlines():
        if line.startswith("BENCH_JSON "):
            row = json.loads(line[len("BENCH_JSON "):])
            if row.get("id") == "P1":
                return row["value"], row.get("what", "")
    return None, ""


def peer_row(path):
    for line in Path(path).read_text(errors="replace").splitlines():
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    return None


def main():
    ours, ours_what = p1_rate(sys.argv[1])
    peer = peer_row(sys.argv[2])
    if ours is None or not peer or not peer.get("add_item_per_s"):
        print("P1 peer: a figure is missing (edge P1 or the peer's line); no ratio", file=sys.stderr)
        return 0
    rate = float(peer["add_item_per_s"])
    ratio = ours / rate
    print(f"P1 vs peer: edge {ours:,.0f} add-item/s, cqrs-es + sqlite-es {rate:,.0f}/s "
          f"(p50 {peer.get('p50_ms')} ms, p99 {peer.get('p99_ms')} ms): {ratio:.2f}x (target >= 10x)")
    bench = {
        "id": "P1", "what": f"vs the cqrs-es + sqlite-es peer, same workload and run (ours: {ours_what})",
        "value": ours, "unit": "cmds/s", "baseline": rate,
        "baseline_what": "cqrs-es 0.5 + sqlite-es 0.5 add-item/s", "baseline_unit": "cmds/s",
        "ratio": ratio, "target": ">= 10 x the peer", "met": ratio >= 10,
        "extra": {"peer": peer},
    }
    print("BENCH_JSON " + json.dumps(bench))
    return 0


if __name__ == "__main__":
    sys.exit(main())
