"""The report: a run's figures as plain or Markdown tables, the ratios against this engine, the end-to-end
table, and the JSON without the per-query rows."""

from __future__ import annotations

import json
import math

from .config import B, EPSILON, K1, LABELS, OURS, SCOPES
from .corpus_gen import size_label


def _f(v, fmt: str) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def _ratio(a, x) -> str:
    return "–" if a is None or not x else f"{a / x:.2f}"


def strip_rows(results: dict) -> dict:
    """The results without the per-query row lists (for JSON output)."""
    out = json.loads(json.dumps(results))
    for entry in out["sizes"].values():
        for res in entry["engines"].values():
            res.get("serve", {}).pop("rows", None)
    return out


def format_table(header: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    """A Markdown table, or the same cells aligned in plain columns for a terminal."""
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "--:" for i in range(len(header))) + "|"]
        out += ["| " + " | ".join(r + [""] * (len(header) - len(r))) + " |" for r in rows]
        return out
    # Rows cut short by a note ("skipped: ...") do not widen the columns: the note runs on past them.
    full = [r for r in rows if len(r) == len(header)]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *full)]
    for r in rows:
        widths[0] = max(widths[0], len(r[0]))

    def line(cells):
        n = len(cells) - 1 if len(cells) < len(header) else len(cells)
        text = "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells[:n], widths)))
        return (text + "  " + "  ".join(cells[n:])).rstrip()
    return [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]


def _serve_rss(s: dict) -> str:
    """Peak RSS of the serving process, and (+) how much of it came after the imports."""
    if s.get("peak_rss_mb") is None:
        return "–"
    extra = f" (+{s['peak_rss_mb'] - s['rss_start_mb']:.0f})" if s.get("rss_start_mb") is not None else ""
    return f"{s['peak_rss_mb']:.0f}{extra}"


def engine_rows(entry: dict) -> list[list[str]]:
    rows = []
    for eng, res in entry["engines"].items():
        b, s = res.get("build", {}), res.get("serve", {})
        if "error" in b or "error" in s:
            rows.append([LABELS[eng], "failed: " + (b.get("error") or s.get("error"))[:70]])
            continue
        if not b:
            rows.append([LABELS[eng], "skipped: " + str(res.get("skipped"))])
            continue
        head = [LABELS[eng], _f(b.get("build_total_s"), ".2f"), _f(b.get("peak_rss_mb"), ".0f"),
                _f(s.get("start_s", s.get("load_s", 0)) * 1e3, ".1f"), _serve_rss(s), _f(b.get("disk_mb"), ".0f")]
        if "skipped" in s:
            rows.append(head + ["queries skipped: " + s["skipped"]])
            continue
        bk = s.get("by_kind", {})
        kind = " / ".join(_f(bk.get(x, {}).get("p50_ms"), ".2f") for x in ("scifact", "zipf"))
        rows.append(head + [_f(s["p50_ms"], ".3f"), _f(s["p99_ms"], ".2f"), kind, _f(s["qps"], ".0f"),
                            _f(s.get("overlap_at_k_vs_ours"), ".3f")])
    return rows


def ratio_rows(entry: dict) -> list[list[str]]:
    ours = entry["engines"].get(OURS, {})
    ob, os_ = ours.get("build", {}), ours.get("serve", {})
    if "p50_ms" not in os_:
        return []
    rows = []
    for eng, res in entry["engines"].items():
        if eng == OURS:
            continue
        b, s = res.get("build", {}), res.get("serve", {})
        if not b or "error" in b:
            rows.append([LABELS[eng], "n/a: " + str(res.get("skipped") or b.get("error"))])
            continue
        rows.append([LABELS[eng], _ratio(os_["qps"], s.get("qps")), _ratio(os_["p50_ms"], s.get("p50_ms")),
                     _ratio(os_["p99_ms"], s.get("p99_ms")), _ratio(ob["build_total_s"], b.get("build_total_s")),
                     _ratio(os_.get("start_s", os_["load_s"]), s.get("start_s", s.get("load_s"))),
                     _ratio(os_["peak_rss_mb"], s.get("peak_rss_mb")),
                     _ratio(ob["peak_rss_mb"], b.get("peak_rss_mb")), _ratio(ob["disk_mb"], b.get("disk_mb"))])
    return rows


def render_tables(results: dict, markdown: bool = False) -> str:
    m, cfg = results["machine"], results["config"]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    bullet = "- " if markdown else ""
    lines = []
    if markdown:
        lines += ["## BM25 engines compared (benchmarks/bench.py)", ""]
    lines += [f"{bullet}Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}; {pk}",
              f"{bullet}Run: queries {cfg['queries']} (half SciFact, half Zipf), top-{cfg['k']}, single-threaded, "
              f"chunking {cfg['chunking']}, seed {cfg['seed']}, BM25 k1={K1} b={B} epsilon={EPSILON}"]
    ing = results.get("ingest")
    if ing and ing["chunks"]:
        lines.append(f"{bullet}Ingest (split + tokenize SciFact text, one core): {ing['chunks_per_s']:,.0f} chunks/s, "
                     f"{ing['tokens_per_s']:,.0f} tokens/s, {ing['mb_per_s']:.2f} MB/s ({ing['chunks']:,} chunks in "
                     f"{ing['seconds']:.1f} s)")
    if "wall_s" in results:
        lines.append(f"{bullet}Whole run: {results['wall_s']:.0f} s")
    lines.append("")
    header = ["engine", "build s", "build peak MB", "load + first query ms", "serve peak MB (+after imports)", "disk MB", "p50 ms", "p99 ms",
              "p50 SciFact/Zipf ms", "qps", "overlap@10"]
    rheader = ["this ÷", "qps", "p50", "p99", "build time", "load + first query", "serve peak RSS", "build peak RSS", "disk"]
    for label, entry in results["sizes"].items():
        c = entry["corpus"]
        lines.append(f"{'### ' if markdown else '== '}{label}: {c['passages']:,} passages ({c['real_passages']:,} SciFact, "
                     f"{c['synthetic_passages']:,} Zipf), {c['tokens']:,} tokens, {c['vocab_used']:,} terms, "
                     f"{c['queries']} queries")
        if "parity" in entry:
            p = entry["parity"]
            lines.append(f"Parity BM25Index vs rank_bm25.BM25Okapi ({p.get('passages', 0):,} passages, "
                         f"{p.get('queries')} queries): max |score diff| dense {p.get('max_abs_diff_dense')}, "
                         f"top-k {p.get('max_abs_diff_topk')}, top-k of the skipping scorer "
                         f"{p.get('max_abs_diff_topk_skipping')}")
        lines.append("")
        lines += format_table(header, engine_rows(entry), markdown)
        rr = ratio_rows(entry)
        if rr:
            lines += ["", "Ratios this engine ÷ other (qps > 1: this engine faster; times, RSS, disk < 1: this "
                          "engine faster/leaner):", ""]
            lines += format_table(rheader, rr, markdown)
        os_ = entry["engines"].get(OURS, {}).get("serve", {})
        if "scoped_p50_ms" in os_:
            lines += ["", f"BM25Index with a scope filter (2 of {len(SCOPES)} scopes, as the bot searches): "
                          f"p50 {os_['scoped_p50_ms']:.3f} ms, p99 {os_['scoped_p99_ms']:.2f} ms"]
        lines.append("")
    lines.append("Notes: build = build + save to disk (tantivy: indexing + commit on 1 thread; rank-bm25: pickle). "
                 "Load = open from disk at startup (BM25Index and bm25s memory-map; rank-bm25 unpickles). Peak RSS "
                 "= VmHWM of a fresh process per phase: the build peak includes the token lists handed to the "
                 "engine, the serve peak the interpreter and imports (~baseline in JSON as rss_start_mb). "
                 "overlap@10 = share of BM25Index's top-10 rows the engine also returns (bm25s and tantivy score "
                 "other BM25 variants: clamped idf, Lucene idf and quantized lengths).")
    return "\n".join(lines)


def render_e2e(e2e: dict, markdown: bool = False) -> str:
    b, s = e2e.get("build", {}), e2e.get("serve", {})
    if "error" in b or "error" in s:
        return f"End to end ({size_label(e2e['size'])}): failed: {b.get('error') or s.get('error')}"
    rows = [["passages", f"{b['passages']:,}"],
            ["ingest_records (split + tokenize + SQLite), passages/s", f"{b['passages_per_s']:,.0f}"],
            ["index build from the store, s", _f(b.get("index_build_s"), ".1f")],
            ["ingest + build peak RSS, MB", _f(b.get("peak_rss_mb"), ".0f")],
            ["database / index on disk, MB", f"{b['db_mb']:,.0f} / {b['index_mb']:,.0f}"],
            ["Corpus open (index load by mmap), ms", _f(s.get("load_s", 0) * 1e3, ".0f")],
            ["ask p50 / p99 / max, ms", f"{s['ask_p50_ms']:.2f} / {s['ask_p99_ms']:.2f} / {s['ask_max_ms']:.1f}"],
            ["ask per second (single thread)", f"{s['ask_qps']:.0f}"],
            ["search p50 / p99, ms", f"{s['search_p50_ms']:.2f} / {s['search_p99_ms']:.2f}"],
            ["serve peak RSS (after asks), MB", _f(s.get("serve_peak_rss_mb"), ".0f")],
            ["add one document until searchable, median / max s",
             f"{s['add_doc_median_s'] * 1e3:.0f} ms / {s['add_doc_max_s'] * 1e3:.0f} ms"],
            ["remove one document, max", f"{s['remove_doc_max_s'] * 1e3:.0f} ms"],
            ["max abs score diff, incremental vs full rebuild", f"{s['max_abs_diff_vs_rebuild']:.1e}"]]
    title = f"End to end through Corpus at {size_label(e2e['size'])} ({s['queries']} queries, {s['answered']} answered)"
    return "\n".join([("### " if markdown else "== ") + title, ""] + format_table(["measure", "value"], rows, markdown))
