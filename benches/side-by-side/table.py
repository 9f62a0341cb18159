"""Prints the side-by-side results as a Markdown table: one row per figure, one column per
hub and size, and the ratio JupyterHub ÷ batchhub (above 1: batchhub is faster, cheaper or
fewer; below 1: JupyterHub does better). Reads the `RESULT key=value …` lines
spawn-storm printed into OUT/<hub>-<n>.txt; with several OUT directories, a later one's run
of a hub and size replaces an earlier one's.

    python3 benches/side-by-side/table.py OUT [OUT…]"""

import os
import re
import sys

runs = {}
for out in sys.argv[1:]:
    for name in sorted(os.listdir(out)):
        m = re.fullmatch(r"(batchhub|jupyterhub)-(\d+)\.txt", name)
        if not m:
            continue
        with open(os.path.join(out, name)) as f:
            lines = [l for l in f if l.startswith("RESULT ")]
        if lines:
            runs[(m.group(1), int(m.group(2)))] = dict(
                kv.split("=", 1) for kv in lines[-1].split()[1:]
            )

FIGURES = [
    ("all routed (s)", "routed_s", "lower"),
    ("per-user time to routed p50 (s)", "to_ready_p50_s", "lower"),
    ("per-user time to routed p99 (s)", "to_ready_p99_s", "lower"),
    ("hub CPU, storm (s)", "hub_cpu_s", "lower"),
    ("PBS commands' CPU, storm (s)", "pbs_cpu_s", "lower"),
    ("hub peak RSS (MiB)", "hub_hwm_mib", "lower"),
    ("qsub / qstat / qdel, storm", None, None),
    ("qstat in the steady phase", "steady_qstat", "lower"),
    ("API GET /users/{name} p99 (ms)", "read_p99_ms", "lower"),
    ("429 answers (retried)", "retries_429", None),
    ("failed starts", "failed_starts", None),
    ("qdel when all stopped", "stop_qdel", None),
    ("outage: servers lost", "outage_lost", None),
    ("outage: qdel", "outage_qdel", None),
    ("outage: running jobs unknown to the hub", "outage_orphans", None),
]


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


sizes = sorted({n for (_, n) in runs})
header = ["figure"]
for n in sizes:
    header += [f"batchhub N={n}", f"JupyterHub N={n}", "JH ÷ bh"]
print("| " + " | ".join(header) + " |")
print("|" + "---|" * len(header))
for label, key, _ in FIGURES:
    row = [label]
    shown = False
    for n in sizes:
        b, j = runs.get(("batchhub", n), {}), runs.get(("jupyterhub", n), {})
        if key is None:
            cell = lambda r: "/".join(r.get(k, "-") for k in ("qsub", "qstat", "qdel"))
            row += [cell(b), cell(j), ""]
            shown = shown or bool(b or j)
            continue
        bv, jv = b.get(key, "-"), j.get(key, "-")
        shown = shown or bv != "-" or jv != "-"
        ratio = ""
        if num(bv) and num(jv) is not None and num(bv) > 0:
            ratio = f"{num(jv) / num(bv):.1f}×"
        row += [bv, jv, ratio]
    if shown:
        print("| " + " | ".join(row) + " |")
