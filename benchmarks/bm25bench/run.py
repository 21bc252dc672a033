"""A whole run: tokenize once, write each size's token corpus, then every engine's build and serve phases (each
in its own process, so each RSS peak is its own), the parity check; or Corpus end to end at one size."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .config import B, ENGINES, ENTRY, EPSILON, K1, OURS, ROOT, SEED, TOP_K, WARMUP
from .corpus_gen import build_token_corpus, find_scifact, real_queries, size_label, tokenize_real
from .e2e import phase_e2e_build, phase_e2e_serve
from .engines import engine_available
from .machine import machine_info
from .phases import phase_build, phase_parity, phase_serve


def call_phase(engine: str, phase: str, corpus_dir: Path, index_dir: Path | None, k: int, budget_s: float) -> dict:
    """One phase in this process: build, serve, parity, e2e-build or e2e-serve."""
    if phase == "e2e-build":
        return phase_e2e_build(corpus_dir, index_dir)
    if phase == "e2e-serve":
        return phase_e2e_serve(corpus_dir, index_dir, k)
    if phase == "build":
        return phase_build(engine, corpus_dir, index_dir)
    if phase == "serve":
        return phase_serve(engine, corpus_dir, index_dir, k, budget_s)
    return phase_parity(corpus_dir, k)


def worker_main(args) -> None:
    """The worker's end of run_phase: the phase the hidden options name, its figures written to --result."""
    index_dir = Path(args.index_dir) if args.index_dir else None
    res = call_phase(args.worker, args.phase, Path(args.corpus), index_dir, args.k, args.budget)
    Path(args.result).write_text(json.dumps(res), encoding="utf-8")


def run_phase(engine: str, phase: str, corpus_dir: Path, index_dir: Path | None, *, k: int, budget_s: float,
              isolate: bool) -> dict:
    """One phase, in its own python process (isolate=True) so its RSS peak is its own."""
    if not isolate:
        return call_phase(engine, phase, corpus_dir, index_dir, k, budget_s)
    fd, result = tempfile.mkstemp(suffix=".json", dir=corpus_dir)
    os.close(fd)
    cmd = [sys.executable, str(ENTRY), "--worker", engine, "--phase", phase,
           "--corpus", str(corpus_dir), "--result", result, "--k", str(k), "--budget", str(budget_s)]
    if index_dir is not None:
        cmd += ["--index-dir", str(index_dir)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "DISABLE_TQDM": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:] if proc.stderr else ''}",
                "stderr_tail": proc.stderr[-2000:], "wall_s": time.perf_counter() - t0}
    res = json.loads(Path(result).read_text(encoding="utf-8"))
    os.unlink(result)
    res["wall_s"] = time.perf_counter() - t0
    return res


def overlap(ref: list[list[int]], other: list[list[int]]) -> float:
    vals = [len(set(a) & set(b)) / len(a) for a, b in zip(ref, other) if a]
    return float(np.mean(vals)) if vals else float("nan")


def run_benchmark(sizes: Sequence[int], n_queries: int = 1000, engines: Sequence[str] = ENGINES, *,
                  seed: int = SEED, k: int = TOP_K, budget_s: float = 300.0, isolate: bool = True,
                  workdir: Path | None = None, chunking: str = "sentences", parity: bool = True,
                  keep: bool = False, progress: bool = True, log=print) -> dict:
    sizes = sorted(sizes)
    scifact = find_scifact()
    own_tmp = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="bm25bench-")) if own_tmp else Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": machine_info(),
                     "config": {"sizes": [size_label(s) for s in sizes], "queries": n_queries, "k": k, "seed": seed,
                                "engines": list(engines), "budget_s": budget_s, "isolated": isolate,
                                "chunking": chunking, "scifact": str(scifact) if scifact else None,
                                "bm25": {"k1": K1, "b": B, "epsilon": EPSILON}},
                     "sizes": {}}
    try:
        real_tokens, real_doc_ids, ingest = tokenize_real(scifact, max(sizes), chunking, progress)
        results["ingest"] = ingest
        log(f"tokenized {ingest['chunks']:,} real chunks: {ingest['tokens_per_s'] or 0:,.0f} tokens/s, "
            f"{ingest['chunks_per_s'] or 0:,.0f} chunks/s, {ingest['mb_per_s'] or 0:.2f} MB/s")
        rq = real_queries(scifact)
        prev: dict[str, tuple[int, dict]] = {}
        for si, size in enumerate(sizes):
            label = size_label(size)
            cdir = workdir / f"corpus-{label}"
            meta = build_token_corpus(cdir, size, real_tokens, real_doc_ids, rq, n_queries, seed, progress)
            log(f"[{label}] corpus: {meta['passages']:,} passages ({meta['real_passages']:,} real), "
                f"{meta['tokens']:,} tokens, vocab {meta['vocab_used']:,}, {meta['queries']} queries, "
                f"generated in {meta['generate_s']:.1f} s")
            entry: dict = {"corpus": meta, "engines": {}}
            results["sizes"][label] = entry
            if parity and si == 0 and engine_available("rank_bm25") is None:
                entry["parity"] = run_phase(OURS, "parity", cdir, None, k=k, budget_s=budget_s, isolate=isolate)
                p = entry["parity"]
                log(f"[{label}] parity BM25Index vs rank-bm25: max |diff| dense {p.get('max_abs_diff_dense')}, "
                    f"top-{k} {p.get('max_abs_diff_topk')}")
            for eng in engines:
                why = engine_available(eng)
                if why:
                    entry["engines"][eng] = {"skipped": why}
                    log(f"[{label}] {eng}: skipped ({why})")
                    continue
                if eng in prev:  # extrapolate linearly from the previous size before paying for this one
                    psize, pres = prev[eng]
                    ms = pres.get("serve", {}).get("mean_ms") or pres.get("serve", {}).get("estimated_ms_per_query")
                    if ms:
                        est = ms / 1e3 * size / psize * (meta["queries"] + WARMUP)
                        if est > budget_s:
                            entry["engines"][eng] = {"skipped": f"estimated {est:.0f} s for {meta['queries']} queries "
                                                                f"(from {size_label(psize)}) > budget {budget_s:.0f} s",
                                                     "estimated_query_s": est}
                            log(f"[{label}] {eng}: {entry['engines'][eng]['skipped']}")
                            continue
                idir = workdir / f"index-{label}-{eng}"
                res = {"build": run_phase(eng, "build", cdir, idir, k=k, budget_s=budget_s, isolate=isolate)}
                if "error" not in res["build"]:
                    res["serve"] = run_phase(eng, "serve", cdir, idir, k=k, budget_s=budget_s, isolate=isolate)
                if "skipped" in res.get("serve", {}):
                    res["skipped"] = res["serve"]["skipped"]
                entry["engines"][eng] = res
                prev[eng] = (size, res)
                shutil.rmtree(idir, ignore_errors=True)
                log(f"[{label}] {eng}: " + _one_line(res))
            ref = entry["engines"].get(OURS, {}).get("serve", {}).get("rows")
            for eng, res in entry["engines"].items():
                rows = res.get("serve", {}).get("rows")
                if ref is not None and rows is not None:
                    res["serve"]["overlap_at_k_vs_ours"] = overlap(ref, rows)
            if not keep:
                shutil.rmtree(cdir, ignore_errors=True)
    finally:
        if own_tmp and not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


def _one_line(res: dict) -> str:
    if "error" in res.get("build", {}):
        return "build failed: " + res["build"]["error"]
    b, s = res.get("build", {}), res.get("serve", {})
    line = f"build {b.get('build_total_s', 0):.2f} s, peak {b.get('peak_rss_mb', 0):.0f} MB"
    if "error" in s:
        return line + "; serve failed: " + s["error"]
    if "skipped" in s:
        return line + "; queries skipped: " + s["skipped"]
    return (line + f"; load {s['load_s'] * 1e3:.1f} ms, p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms, "
            f"{s['qps']:.0f} qps, serve peak {s['peak_rss_mb']:.0f} MB")


def run_e2e(size: int, n_queries: int, *, seed: int = SEED, workdir: Path | None = None, keep: bool = False,
            isolate: bool = True, progress: bool = True, reuse: bool = False, log=print) -> dict:
    """Corpus end to end at one size: build (ingest) in one process, serve in a fresh one."""
    own_tmp = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="bm25e2e-")) if own_tmp else workdir
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        scifact = find_scifact()
        cdir = workdir / f"corpus-{size_label(size)}"
        if not (reuse and (cdir / "meta.json").is_file()):
            real, doc_ids, _ = tokenize_real(scifact, size, progress=progress)
            build_token_corpus(cdir, size, real, doc_ids, real_queries(scifact), n_queries, seed, progress)
            del real, doc_ids
        ddir = workdir / f"db-{size_label(size)}"
        if reuse and (ddir / "corpus.db").is_file():
            out = {"size": size, "build": json.loads((ddir / "build.json").read_text(encoding="utf-8"))}
        else:
            out = {"size": size, "build": run_phase(OURS, "e2e-build", cdir, ddir, k=TOP_K, budget_s=0,
                                                    isolate=isolate)}
            if "error" not in out["build"]:
                (ddir / "build.json").write_text(json.dumps(out["build"]), encoding="utf-8")
        log(f"[e2e {size_label(size)}] build: {json.dumps(out['build'])}")
        if "error" not in out["build"]:
            out["serve"] = run_phase(OURS, "e2e-serve", cdir, ddir, k=TOP_K, budget_s=0, isolate=isolate)
            log(f"[e2e {size_label(size)}] serve: {json.dumps(out['serve'])}")
        return out
    finally:
        if own_tmp and not keep:
            shutil.rmtree(workdir, ignore_errors=True)
