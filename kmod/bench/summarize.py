"""Summarises the remote fork benchmark CSVs into summary.json, a table and summary.png."""
from __future__ import annotations

import csv
import json
import os
import statistics
import sys

VARIANTS = [
    ("remote_fork", "remote fork (lazy + prefetch + node cache)"),
    ("lazy_prefetch", "remote fork, lazy + prefetch, no cache"),
    ("lazy_cache", "remote fork, lazy + node cache"),
    ("lazy", "remote fork, lazy only, no cache"),
    ("eager", "remote fork, eager"),
    ("restore_file", "restore from checkpoint file"),
    ("cold", "cold start"),
]


def first_ms(path: str) -> list[float]:
    with open(path) as f:
        return [float(r["first_ms"]) for r in csv.DictReader(f)
                if r["status"] == "0" and float(r["first_ms"]) >= 0]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def seed_summary(out: str, kind: str) -> dict:
    s: dict = {}
    for key, _ in VARIANTS:
        path = os.path.join(out, f"{kind}_{key}.csv")
        if os.path.exists(path):
            xs = first_ms(path)
            s[f"{key}_p50_ms"] = round(statistics.median(xs), 3) if xs else None
            s[f"{key}_p90_ms"] = round(pct(xs, 0.9), 3) if xs else None
            s[f"{key}_runs"] = len(xs)
    stats_path = os.path.join(out, f"{kind}_lazy_stats.json")
    if os.path.exists(stats_path):
        with open(stats_path) as f:
            st = json.load(f)
        s["pages_fetched_ratio"] = round(st["net_pages"] / max(1, st["seed_rss_pages"]), 4)
        s["pages_fetched"] = st["net_pages"]
        s["seed_rss_pages"] = st["seed_rss_pages"]
        s["lazy_faults"] = st["faults"]
    cold = s.get("cold_p50_ms")
    for key, _ in VARIANTS[:-1]:
        v = s.get(f"{key}_p50_ms")
        if v and cold:
            s[f"cold_over_{key}"] = round(cold / v, 2)
    return s


def plot(out: str, summary: dict) -> None:
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        return
    rows = [(f"{kind}: {label}", summary[kind].get(f"{key}_p50_ms"))
            for kind in ("hello", "image") for key, label in VARIANTS]
    rows = [(l, v) for l, v in rows if v]
    if not rows:
        return
    w, bar, left = 1000, 22, 380
    img = Image.new("RGB", (w, 40 + bar * len(rows)), "white")
    d = ImageDraw.Draw(img)
    d.text((10, 8), "time to first response, p50 ms (two network namespaces over veth)", fill="black")
    top = max(v for _, v in rows)
    for i, (label, v) in enumerate(rows):
        y = 32 + i * bar
        d.text((10, y + 4), label, fill="black")
        length = max(2, int((w - left - 80) * v / top))
        d.rectangle([left, y + 2, left + length, y + bar - 4],
                    fill="#d9534f" if "cold" in label else "#337ab7")
        d.text((left + length + 6, y + 4), f"{v:.2f}", fill="black")
    img.save(os.path.join(out, "summary.png"))


def main() -> int:
    out = sys.argv[1]
    summary: dict = {"hello": seed_summary(out, "hello"), "image": seed_summary(out, "image")}
    resume = {}
    for v in ("lazy", "eager"):
        p = os.path.join(out, f"resume_{v}.csv")
        if os.path.exists(p):
            xs = first_ms(p)
            resume[f"{v}_p50_ms"] = round(statistics.median(xs), 3) if xs else None
    summary["resume_first_instruction"] = resume
    with open(os.path.join(out, "prepare.csv")) as f:
        summary["prepare"] = [{"rss_mb": int(r["rss_mb"]), "prepare_ms": float(r["prepare_ms"]),
                               "rss_bytes": int(r["rss_bytes"])} for r in csv.DictReader(f)]
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    plot(out, summary)
    print(f"\nresults in {out}")
    for kind in ("hello", "image"):
        s = summary[kind]
        print(f"\n{kind} seed: time to first response (p50 / p90 ms, ratio cold/variant)")
        for key, label in VARIANTS:
            if s.get(f"{key}_p50_ms") is not None:
                ratio = s.get(f"cold_over_{key}")
                print(f"  {label:45s} {s[f'{key}_p50_ms']:8.2f} {s[f'{key}_p90_ms']:8.2f}"
                      + (f"   {ratio:6.1f}x faster than cold" if ratio else ""))
        if "pages_fetched_ratio" in s:
            print(f"  lazy paging fetched {s['pages_fetched']} of {s['seed_rss_pages']} resident "
                  f"pages ({100 * s['pages_fetched_ratio']:.1f}% of the seed's RSS)")
    print("\nresume to first instruction (C seed, 64 MiB heap), p50 ms:",
          ", ".join(f"{k[:-7]} {v:.2f}" for k, v in resume.items() if v is not None))
    print("prepare time against seed RSS:",
          ", ".join(f"{p['rss_bytes'] >> 20} MiB: {p['prepare_ms']:.1f} ms"
                    for p in summary["prepare"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
