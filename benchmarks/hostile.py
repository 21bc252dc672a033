#!/usr/bin/env python
"""What a hostile upload costs the bot's process: each case is uploaded (`Corpus.add_bytes`, the path of
`/corpus add`) in a fresh process, several runs, next to an anchor (an ordinary 100 KB text file).

    .venv/bin/python benchmarks/hostile.py            # 3 runs per case
    .venv/bin/python benchmarks/hostile.py --runs 5 --json hostile.json

Reported per case: the outcome (added, or the one-line refusal), wall time of the upload and the
process's peak RSS (os.wait4 on the finished process; the upload is parsed in a forkserver child under
RETRIEVAL_UPLOAD_* limits, so its own memory is bounded by that limit, not counted here), as ranges over
the runs, and the ratio of the median time to the anchor's in the same run. Run on demand, never in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

UPLOAD = """
import sys, time
from pathlib import Path
from retrieval.config import Settings
from retrieval.corpus import Corpus
if __name__ == "__main__":
    path, db = Path(sys.argv[1]), Path(sys.argv[2])
    corpus = Corpus(Settings(db_path=db, corpus_dir=db.parent / "none"))
    data = path.read_bytes()
    started = time.perf_counter()
    try:
        outcome = corpus.add_bytes(data, path.name, scope="server").summary()
    except Exception as exc:
        outcome = f"refused: {exc}"
    print(f"{time.perf_counter() - started:.3f}\\t{outcome}")
    corpus.close()
"""


def cases(folder: Path) -> dict[str, Path]:
    from pdf_maker import make_pdf

    run = b"(AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA) Tj "
    made = {
        "anchor: 100 KB of prose (.txt)": ("prose.txt", " ".join(
            f"Sentence {n} describes the harbour, its ferries and the tide tables." for n in range(1_500)).encode()),
        "PDF bomb: 0.2 MB inflating to 76 MB": ("bomb.pdf", make_pdf(b"BT /F1 12 Tf 72 720 Td " + run * 1_200_000 + b"ET")),
        "HTML: 2.3 MB of <p>": ("paragraphs.html", ("<html><body>" + "<p>Some words in a paragraph here.</p>" * 60_000
                                                    + "</body></html>").encode()),
        "HTML: 100,000 nested <div>": ("nested.html", ("<div>" * 100_000 + "deep" + "</div>" * 100_000).encode()),
        "Markdown table 2,000 x 200 (4.4 MB)": ("table.md", ("| " + " | ".join(f"c{i}" for i in range(200)) + " |\n|"
                                                            + "---|" * 200 + "\n" + "".join(
            "| " + " | ".join(f"v{r}x{i}" for i in range(200)) + " |\n" for r in range(2_000))).encode()),
        "19 MB without whitespace (.txt)": ("blob.txt", b"x" * 19_000_000),
    }
    out = {}
    for label, (name, data) in made.items():
        (folder / name).write_bytes(data)
        out[label] = folder / name
    return out


def upload_once(path: Path, work: Path) -> tuple[float, float, float, str]:
    """(upload seconds, process wall seconds, peak RSS MB, outcome) of one fresh process."""
    db = work / f"db-{time.monotonic_ns()}" / "c.db"
    db.parent.mkdir()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", UPLOAD, str(path), str(db)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out, _ = proc.communicate()
    wall = time.perf_counter() - started
    _, _, usage = os.wait4(proc.pid, 0) if proc.returncode is None else (0, 0, None)
    rss = (usage.ru_maxrss / 1024) if usage else float("nan")
    seconds, _, outcome = out.strip().partition("\t")
    return float(seconds or "nan"), wall, rss, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = cases(work)
        timings: dict[str, list[tuple[float, float, float, str]]] = {label: [] for label in files}
        for _ in range(args.runs):  # round-robin: every case sees the same machine drift
            for label, path in files.items():
                timings[label].append(_measured(path, work))
        anchor = statistics.median(t[0] for t in timings[next(iter(files))])
        print(f"{'case':40} {'upload s':>14} {'x anchor':>9} {'peak RSS MB':>14}  outcome")
        for label, runs in timings.items():
            secs, rss = [r[0] for r in runs], [r[2] for r in runs]
            ratio = statistics.median(secs) / anchor if anchor else float("nan")
            outcome = runs[-1][3][:110]
            print(f"{label:40} {min(secs):6.2f}-{max(secs):6.2f} {ratio:9.1f} {min(rss):6.0f}-{max(rss):6.0f}  {outcome}")
            results[label] = {"upload_s": secs, "peak_rss_mb": rss, "ratio_to_anchor": ratio, "outcome": outcome}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def _measured(path: Path, work: Path) -> tuple[float, float, float, str]:
    """One fresh process; peak RSS from the kernel's accounting of the finished child."""
    db = work / f"db-{time.monotonic_ns()}" / "c.db"
    db.parent.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", UPLOAD, str(path), str(db)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    started = time.perf_counter()
    out = proc.stdout.read() if proc.stdout else ""
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    seconds, _, outcome = out.strip().partition("\t")
    return float(seconds or "nan"), wall, usage.ru_maxrss / 1024, outcome


if __name__ == "__main__":
    main()
