"""The first document a process renders: the inlined CJK font with and without the
unpacked font kept on disk (pipeline/fonts.py).

Each run is a fresh process (what a `branch-audit report` or a review server's first
notice pays), timing `inline_font_face` over a notice's worth of text. The baseline
points the cache at an empty folder each time, which is what every process paid before
the cache; the cached runs share one folder warmed by the first of them.

    PYTHONPATH=. .venv/bin/python benchmarks/fonts.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEXT = "南京分行营业部 盐城亭湖支行 王主管 办理 助理 整改通知书 柜台杂乱 Counter cluttered 0123"
CHILD = f"""
import json, resource, time
t = time.perf_counter()
from pipeline.report.webfont import inline_font_face
inline_font_face({TEXT!r})
s = time.perf_counter() - t
print(json.dumps({{"s": s, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _run(cache: Path) -> dict:
    env = {**os.environ, "BRANCH_AUDIT_CACHE": str(cache), "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as warm:
        _run(Path(warm))  # fills the cache
        rows = {"no cache (before)": [], "unpacked font on disk": []}
        for _ in range(runs):  # interleaved, so the machine's load falls on both alike
            with tempfile.TemporaryDirectory() as cold:
                rows["no cache (before)"].append(_run(Path(cold)))
            rows["unpacked font on disk"].append(_run(Path(warm)))
    base = statistics.median(r["s"] for r in rows["no cache (before)"])
    print("| first document's font | median s | max s | vs before | peak RSS MB |")
    print("|---|---:|---:|---:|---:|")
    for name, got in rows.items():
        med = statistics.median(r["s"] for r in got)
        print(
            f"| {name} | {med:.2f} | {max(r['s'] for r in got):.2f} | {base / med:.1f}× "
            f"| {max(r['rss_mb'] for r in got):.0f} |"
        )


if __name__ == "__main__":
    main()
