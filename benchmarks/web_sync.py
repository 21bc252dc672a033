#!/usr/bin/env python
"""What a web source costs: a site of N pages on loopback (tests/web_site.py) is added, re-synced unchanged,
and re-synced with one page changed, several runs; next to an anchor in the same run, the same pages
ingested as local files (`Corpus.ingest`, no network, no child process).

    .venv/bin/python benchmarks/web_sync.py                 # 100 pages, 3 runs
    .venv/bin/python benchmarks/web_sync.py --pages 200 --runs 5

Reported: wall time ranges, requests made and their statuses, and the median ratio to the anchor. The pause
between requests to one host is 0 here (the default is 0.5 s: 100 pages then take at least 50 s by design).
Run on demand, never in CI.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

WORDS = ("install configure upgrade remove package daemon socket cache proxy mirror archive keyring source "
         "release signature timeout retry option flag default value server client").split()


def make_site(pages: int):
    from web_site import Site, html

    site = Site(sitemap=False, robots="User-agent: *\nAllow: /\n")
    links = tuple(f"p{i}.html" for i in range(pages - 1))
    site.put("/docs/index.html", html("Index", "The handbook.", links))
    for i in range(pages - 1):
        body = " ".join(f"{WORDS[(i * 7 + j) % len(WORDS)]} {i}-{j}." for j in range(300))
        site.put(f"/docs/p{i}.html", html(f"Page {i}", body))
    return site


def one_run(pages: int, folder: Path) -> dict[str, float | str]:
    from retrieval.config import Settings
    from retrieval.corpus import Corpus
    from retrieval.web.address_guard import parse_networks
    from retrieval.web.sources import add_source, refresh_sources
    from web_site import SiteServer, html

    site = make_site(pages)
    files = folder / "files"
    files.mkdir()
    for path, (_, body) in site.pages.items():
        (files / Path(path).name).write_bytes(body)
    settings = Settings(db_path=folder / "web.db", corpus_dir=folder / "none", web_request_interval=0.0,
                        web_allow_networks=parse_networks("127.0.0.1"), web_max_pages=pages + 10)
    out: dict[str, float | str] = {}
    anchor = Corpus(settings.with_(db_path=folder / "files.db"))
    started = time.perf_counter()
    anchor.ingest(sorted(files.iterdir()))
    out["anchor_files_s"] = time.perf_counter() - started
    anchor.close()
    corpus = Corpus(settings)
    with SiteServer(site) as running:
        def timed(label: str, func) -> None:
            before = len(running.requests)
            started = time.perf_counter()
            func()
            out[f"{label}_s"] = time.perf_counter() - started
            statuses = collections.Counter(status for _, _, status in running.requests[before:])
            out[f"{label}_requests"] = ", ".join(f"{n}x{code}" for code, n in sorted(statuses.items()))

        timed("add", lambda: add_source(corpus, running.url("/docs/index.html"), "s", site=True))
        timed("unchanged", lambda: refresh_sources(corpus, "s"))
        running.put("/docs/p3.html", html("Page 3", "A new text for page three."))
        timed("one_changed", lambda: refresh_sources(corpus, "s"))
    corpus.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(one_run(args.pages, Path(tmp)))
    print(f"{args.pages} pages, {args.runs} runs (range over runs; ratio: median time / the files anchor's median)")
    anchor = statistics.median(r["anchor_files_s"] for r in runs)
    for label in ("anchor_files", "add", "unchanged", "one_changed"):
        times = [r[f"{label}_s"] for r in runs]
        requests = runs[-1].get(f"{label}_requests", "-")
        print(f"{label:>13}: {min(times):6.2f}-{max(times):6.2f} s  x{statistics.median(times) / anchor:5.2f}  "
              f"requests: {requests}")


if __name__ == "__main__":
    main()
