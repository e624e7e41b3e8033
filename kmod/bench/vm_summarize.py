"""Summarises make -C kmod vm-bench: module (by RDMA, and by TCP) vs user-space twin, as JSON."""
from __future__ import annotations

import csv
import json
import os
import statistics
import sys


def p50(path: str) -> float | None:
    if not os.path.exists(path):
        return None
    with open(path) as f:
        xs = [float(r["first_ms"]) for r in csv.DictReader(f)
              if r["status"] == "0" and float(r["first_ms"]) >= 0]
    return round(statistics.median(xs), 3) if xs else None


def main(out: str) -> None:
    prepared = {}
    with open(os.path.join(out, "prepared.txt")) as f:
        for line in f:
            name, ns, *_ = line.split()
            prepared[name] = round(int(ns) / 1e6, 3)
    accel = os.environ.get("CLEAVE_VM_ACCEL", "tcg")  # vm/run.sh's choice
    summary: dict = {"where": f"one qemu {accel.upper()} guest (Debian 6.1 kernel), two netns over veth, "
                              "soft-RoCE (rdma_rxe) on a veth pair between the nodes' addresses",
                     "accelerator": accel}
    for impl in ("module", "module_tcp", "module_bulk_tcp", "twin"):
        s: dict = {}
        for kind in ("hello", "image"):
            name = f"{impl}_{kind}"
            # module_tcp and module_bulk_tcp resume the module's seeds
            prep = prepared.get(f"module_{kind}" if impl.startswith("module_") else name)
            k = {"remote_fork_p50_ms": p50(os.path.join(out, f"{name}_remote_fork.csv")),
                 "lazy_p50_ms": p50(os.path.join(out, f"{name}_lazy.csv")),
                 "prepare_ms": prep}
            stats = os.path.join(out, f"{name}_lazy_stats.json")
            if os.path.exists(stats):
                with open(stats) as f:
                    st = json.load(f)
                pages = st["net_pages"] + st.get("rdma_pages", 0)
                k["pages_fetched_ratio"] = round(pages / max(1, st["seed_rss_pages"]), 4)
                if "transport" in st:
                    k["transport"] = st["transport"]
            s[kind] = k
        # the key: pages a lazy hello child fetched over the seed's resident pages
        s["pages_fetched_ratio"] = s["hello"].get("pages_fetched_ratio")
        summary[impl] = s
    for num, den in (("module", "twin"), ("module_tcp", "twin"), ("module_bulk_tcp", "twin"),
                     ("module", "module_tcp")):
        for kind in ("hello", "image"):
            for key in ("remote_fork_p50_ms", "lazy_p50_ms"):
                m, t = summary[num][kind][key], summary[den][kind][key]
                if m and t:
                    summary.setdefault(f"{num}_over_{den}", {})[f"{kind}.{key}"] = round(m / t, 3)
    print(json.dumps(summary, indent=2, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
