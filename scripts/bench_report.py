#!/usr/bin/env python3
"""Collects the `BENCH_JSON {...}` lines the benchmark programs print into
target/bench/report.json, a Markdown table (report.md) and an SVG plot (report.svg).

Each line is one figure: {"id": "P1", "what": ..., "value": x, "unit": ..., "baseline": b,
"baseline_what": ..., "ratio": r, "target": "...", "extra": {...}}. A figure with no raw
baseline (P4: a latency target) leaves baseline and ratio out, reports its percentiles in extra
(p50_ms, p99_ms, max_ms) and may say whether it "met" its target. Usage:
    bench_report.py OUT_DIR LOG...
"""
import json
import sys
from pathlib import Path

TARGETS = {
    "P1": "p99 <= 2 ms; >= 0.5 x raw rusqlite insert+commit; flat as a cart grows",
    "P2": ">= 0.8 x raw async-nats publish (same headers, in-flight window)",
    "P3": "100k-event backlog fully synced <= 3 s",
    "P4": "checkout -> shopping started seen on kiosk: p50 <= 50 ms, p99 <= 250 ms",
    "P5": "orders/s x JS ops/order / raw publish rate >= 0.3; two replicas >= 0.9 x one",
    "P6": "cold start to kiosk-ready <= 1.5 s; rebuild >= 0.3 x raw SQLite scan",
    "Scale": "orders/s with 1, 2 and 3 replicas on a 3-node R3 cluster, JS ops per order",
    "P7": "flat over a soak (full pass and --soak N only): pruned outbox/inbox, forgotten sagas and lists; the event logs grow (the history)",
}


def collect(logs):
    rows = []
    for log in logs:
        for line in Path(log).read_text(errors="replace").splitlines():
            if line.startswith("BENCH_JSON "):
                try:
                    rows.append(json.loads(line[len("BENCH_JSON "):]))
                except json.JSONDecodeError as err:
                    print(f"skipping malformed line in {log}: {err}", file=sys.stderr)
    return rows


def fmt(x):
    if isinstance(x, (int, float)):
        return f"{x:,.3f}" if abs(x) < 100 else f"{x:,.0f}"
    return "" if x is None else str(x)


def value_cell(r):
    """The measured value; a latency figure without a raw baseline (P4) shows its percentiles."""
    ex = r.get("extra") if isinstance(r.get("extra"), dict) else {}
    slopes = ex.get("slopes")
    if isinstance(slopes, dict):  # P7: growth per 1,000 orders
        return (f"per 1,000 orders: kiosk db {fmt(slopes.get('kiosk_db_kib'))} KiB (its event log "
                f"{fmt(slopes.get('kiosk_log_kib'))}, the rest {fmt(slopes.get('kiosk_rest_kib'))}), desk db "
                f"{fmt(slopes.get('desk_db_kib'))} KiB (its event log {fmt(slopes.get('desk_log_kib'))}, "
                f"the rest {fmt(slopes.get('desk_rest_kib'))}), stream {fmt(slopes.get('stream_kib'))} KiB, "
                f"KV {fmt(slopes.get('kv_entries'))} entries, central RSS "
                f"{fmt(slopes.get('central_rss_kib'))} KiB, edges RSS {fmt(slopes.get('edges_rss_kib'))} KiB")
    if r.get("baseline") is None and "p50_ms" in ex and "p99_ms" in ex:
        cell = f"p50 {fmt(ex['p50_ms'])} ms, p99 {fmt(ex['p99_ms'])} ms"
        if "max_ms" in ex:
            cell += f", max {fmt(ex['max_ms'])} ms"
        return cell
    return f"{fmt(r.get('value'))} {r.get('unit', '')}"


def target_cell(r):
    target = r.get("target") or TARGETS.get(r["id"], "")
    if isinstance(r.get("met"), bool):
        target += " — **met**" if r["met"] else " — **missed**"
    return target


def markdown(rows):
    out = ["| id | what | value | baseline (same run) | ratio | target |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        base = f"{fmt(r.get('baseline'))} {r.get('baseline_unit', r.get('unit', ''))} ({r.get('baseline_what', '')})" \
            if r.get("baseline") is not None else "n/a (no raw baseline: target vs measured)"
        ratio = fmt(r.get("ratio")) if r.get("ratio") is not None else "–"
        out.append(f"| {r['id']} | {r.get('what', '')} | {value_cell(r)} | {base} | "
                   f"{ratio} | {target_cell(r)} |")
    missing = sorted(set(TARGETS) - {r["id"] for r in rows})
    for m in missing:
        out.append(f"| {m} | not measured in this run | | | | {TARGETS[m]} |")
    return "\n".join(out) + "\n"


def bar_svg(rows):
    """Ratios per figure as horizontal bars, 1.0 = the raw baseline."""
    with_ratio = [r for r in rows if isinstance(r.get("ratio"), (int, float))]
    width, bar_h, left = 760, 26, 300
    height = 60 + bar_h * max(1, len(with_ratio))
    top = max([1.0] + [r["ratio"] for r in with_ratio]) * 1.1
    scale = (width - left - 40) / top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12">',
             f'<text x="10" y="20" font-size="15">MallBots benchmarks: ratio to the raw baseline (same run)</text>']
    x1 = left + 1.0 * scale
    parts.append(f'<line x1="{x1}" y1="30" x2="{x1}" y2="{height - 10}" stroke="#999" stroke-dasharray="4"/>')
    parts.append(f'<text x="{x1 + 3}" y="42" fill="#666">raw = 1.0</text>')
    for i, r in enumerate(with_ratio):
        y = 50 + i * bar_h
        w = max(1, r["ratio"] * scale)
        label = f'{r["id"]} {r.get("what", "")}'[:46]
        parts.append(f'<text x="10" y="{y + 15}">{label}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 8}" fill="#2a7ab8"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 15}">{r["ratio"]:.2f}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def latency_svg(rows):
    """Latency percentiles of the figures that report them (extra.p50_ms/p90_ms/p99_ms)."""
    lat = [r for r in rows if isinstance(r.get("extra"), dict) and "p99_ms" in r["extra"]]
    width, left, row_h = 760, 300, 30
    height = 70 + row_h * max(1, len(lat))
    top = max([1.0] + [r["extra"]["p99_ms"] for r in lat]) * 1.15
    scale = (width - left - 40) / top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12">',
             '<text x="10" y="20" font-size="15">Latency percentiles (ms): p50 ● p90 ◆ p99 ■</text>']
    for i, r in enumerate(lat):
        y = 50 + i * row_h
        ex = r["extra"]
        parts.append(f'<text x="10" y="{y + 4}">{r["id"]} {r.get("what", "")[:40]}</text>')
        parts.append(f'<line x1="{left}" y1="{y}" x2="{left + ex["p99_ms"] * scale:.1f}" y2="{y}" stroke="#bbb"/>')
        for key, shape in (("p50_ms", "circle"), ("p90_ms", "diamond"), ("p99_ms", "square")):
            if key not in ex:
                continue
            x = left + ex[key] * scale
            if shape == "circle":
                parts.append(f'<circle cx="{x:.1f}" cy="{y}" r="5" fill="#2a7ab8"/>')
            elif shape == "diamond":
                parts.append(f'<rect x="{x - 4:.1f}" y="{y - 4}" width="8" height="8" fill="#e08a1e" transform="rotate(45 {x:.1f} {y})"/>')
            else:
                parts.append(f'<rect x="{x - 5:.1f}" y="{y - 5}" width="10" height="10" fill="#c0392b"/>')
            parts.append(f'<text x="{x - 8:.1f}" y="{y + 18}" font-size="10">{ex[key]:.2f}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    rows = collect(sys.argv[2:])
    rows.sort(key=lambda r: r["id"])
    (out / "report.json").write_text(json.dumps({"figures": rows}, indent=2) + "\n")
    md = markdown(rows)
    (out / "report.md").write_text("# Benchmark report\n\n" + md)
    (out / "ratios.svg").write_text(bar_svg(rows))
    (out / "latency.svg").write_text(latency_svg(rows))
    print(md)
    print(f"written: {out}/report.json report.md ratios.svg latency.svg")


if __name__ == "__main__":
    main()
