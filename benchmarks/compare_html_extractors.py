"""Compare HTML -> text extractors on the public dev set (Sphinx and DocBook pages in realdocs/).

For each extractor, over the HTML files of the dev set:

  (a) answer recall: for each answerable question whose `doc` is an HTML file, does an expected answer occur in
      that file's extracted text (the rule of `retrieval.answer.matching.contains_answer`: case, accents and ligatures
      folded with NFKD, whitespace collapsed, at word edges);
  (b) furniture left: how often known navigation/footer markers occur in the output;
  (c) content and layout, against the page's own markup outside navigation/footer/sidebar boxes: <p> of 8+
      words kept (whitespace, Markdown marks and escapes ignored), headings kept as a line of their own, table
      rows on one line (first two cells, in order, on the same line), indented <pre> lines that keep their
      indentation (or come out flattened), and Markdown backslash escapes added ("add\\_argument");
  (d) speed: extraction seconds per MB over all files (several runs, range), and the import cost of the library
      (wall time of `python -c "import ..."` minus an empty interpreter, and -X importtime's cumulative figure);
  (e) characters extracted, against the project's own extractor.

Libraries are optional: an extractor whose library is missing is skipped. They are not dependencies of the
project; to run this, make a scratch venv:

    python3 -m venv /tmp/cmpvenv
    /tmp/cmpvenv/bin/pip install trafilatura readability-lxml justext inscriptis resiliparse \
        beautifulsoup4 lxml charset-normalizer markdown-it-py pypdf
    /tmp/cmpvenv/bin/python benchmarks/compare_html_extractors.py --docs ../shared/eval/realdocs \
        --qa ../shared/eval/realdocs_qa.jsonl --dump /tmp/cmpout

`--dump DIR` writes every extracted text to DIR/EXTRACTOR/FILE.txt for reading by eye. `--project LABEL=ROOT`
(repeatable) measures another checkout's extractor too, e.g. the last commit against the work tree:

    git archive HEAD | tar -x -C /tmp/main_head
    ... --project head=/tmp/main_head --project worktree=.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_BYTES = 50_000_000


# --------------------------------------------------------------------------------------------------------------
# Extractors: name -> (import statement for the import-time probe, function(bytes, name) -> text)

_PROJECTS: dict[str, object] = {}  # label -> that checkout's retrieval.extract module


def load_project(label: str, root: Path):
    """Import ROOT/retrieval under a private package name, so two checkouts (say HEAD and the work tree) can be
    compared in one process."""
    alias = f"_retrieval_{len(_PROJECTS)}"
    spec = importlib.util.spec_from_file_location(alias, root / "retrieval" / "__init__.py",
                                                  submodule_search_locations=[str(root / "retrieval")])
    package = importlib.util.module_from_spec(spec)
    sys.modules[alias] = package
    spec.loader.exec_module(package)
    _PROJECTS[label] = importlib.import_module(f"{alias}.extract")
    return _PROJECTS[label]


def decode_text(data: bytes, name: str) -> str:
    return next(iter(_PROJECTS.values())).decode_text(data, name)


def _project_extractor(label: str):
    def run(data: bytes, name: str) -> str:
        return _PROJECTS[label].extract(data, name, MAX_BYTES).text

    return run


def _trafilatura_docs(data: bytes, name: str) -> str:
    """Trafilatura with the options its docs give for keeping more of a page: tables, formatting (rendered as
    Markdown in text output: code fences, table pipes, headings), favor_recall; no comments, links or images."""
    import trafilatura

    return trafilatura.extract(data, output_format="txt", include_tables=True, include_formatting=True,
                               favor_recall=True, include_comments=False, include_links=False,
                               include_images=False, deduplicate=False) or ""


def _trafilatura_recall(data: bytes, name: str) -> str:
    """As trafilatura-docs without include_formatting (plain text: no Markdown marks or escapes)."""
    import trafilatura

    return trafilatura.extract(data, output_format="txt", include_tables=True, favor_recall=True,
                               include_comments=False, include_links=False, include_images=False,
                               deduplicate=False) or ""


def _trafilatura_default(data: bytes, name: str) -> str:
    import trafilatura

    return trafilatura.extract(data, include_comments=False) or ""


def _trafilatura_precision(data: bytes, name: str) -> str:
    import trafilatura

    return trafilatura.extract(data, include_comments=False, include_formatting=True,
                               favor_precision=True) or ""


_BLOCKS = ("p", "div", "br", "li", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
           "blockquote", "header", "footer", "dd", "dt", "figcaption", "caption", "table", "tr", "hr")


def _html_fragment_to_text(html: str) -> str:
    """Readability returns HTML, not text: render it with a plain block-aware converter (a block tag is a line
    break, a table row is one line with ` | ` between cells, <pre> kept verbatim). This is the integrator's part,
    so readability's table/code figures reflect this converter, not readability."""
    import lxml.html

    root = lxml.html.fromstring(html)
    out: list[str] = []

    def walk(el, in_pre=False):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("script", "style", "noscript", "template"):
            if el.tail:
                out.append(el.tail if in_pre else re.sub(r"\s+", " ", el.tail))
            return
        pre = in_pre or tag == "pre"
        if tag == "pre" or (tag in _BLOCKS and tag not in ("td", "th")):
            out.append("\n")
        if tag in ("td", "th") and el.getprevious() is not None:
            out.append(" | ")
        if el.text:
            out.append(el.text if pre else re.sub(r"\s+", " ", el.text))
        for child in el:
            walk(child, pre)
        if tag == "pre" or tag in _BLOCKS:
            out.append("\n")
        if el.tail:
            out.append(el.tail if in_pre else re.sub(r"\s+", " ", el.tail))

    walk(root)
    lines = [line.rstrip() for line in "".join(out).split("\n")]
    text = "\n".join(line if line.strip() else "" for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _readability(data: bytes, name: str) -> str:
    from readability import Document

    return _html_fragment_to_text(Document(decode_text(data, name)).summary(html_partial=True))


def _justext(data: bytes, name: str) -> str:
    """jusText with its own defaults (the author's recommended settings) and the English stoplist; keeps the
    paragraphs (and headings) it does not classify as boilerplate, one per block."""
    import justext

    paragraphs = justext.justext(data, justext.get_stoplist("English"))
    return "\n\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def _resiliparse(data: bytes, name: str) -> str:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(decode_text(data, name))
    return extract_plain_text(tree, main_content=True, preserve_formatting=True, list_bullets=True,
                              alt_texts=False, links=False, form_fields=False, noscript=False, comments=False)


def _inscriptis(data: bytes, name: str) -> str:
    """Not a main-content extractor: a layout-aware HTML -> text renderer (tables as text tables), for reference."""
    from inscriptis import get_text
    from inscriptis.css_profiles import CSS_PROFILES
    from inscriptis.model.config import ParserConfig

    return get_text(decode_text(data, name), ParserConfig(css=CSS_PROFILES["strict"]))


EXTRACTORS = {  # project checkouts are added in main(), one per --project
    "trafilatura-docs": ("import trafilatura", _trafilatura_docs),
    "trafilatura-recall": ("import trafilatura", _trafilatura_recall),
    "trafilatura-default": ("import trafilatura", _trafilatura_default),
    "trafilatura-precision": ("import trafilatura", _trafilatura_precision),
    "readability": ("import lxml.html; from readability import Document", _readability),
    "justext": ("import justext", _justext),
    "resiliparse": ("from resiliparse.extract.html2text import extract_plain_text", _resiliparse),
    "inscriptis": ("from inscriptis import get_text", _inscriptis),
}


# --------------------------------------------------------------------------------------------------------------
# (a) answers: the rule of eval-qa (retrieval/matching.py, which needs nothing beyond the standard library)
sys.path.insert(0, str(ROOT))
from retrieval.answer.matching import _fold, contains_answer  # noqa: E402

# --------------------------------------------------------------------------------------------------------------
# (b) furniture: (label, pattern). Short words that also occur in prose count only as a whole line.

def _line(word: str) -> re.Pattern:
    return re.compile(rf"^[ \t|*#-]*{re.escape(word)}[ \t|]*$", re.M)


FURNITURE = [
    ("Navigation (line)", _line("Navigation")),
    ("next |", re.compile(r"\bnext \|")),
    ("previous |", re.compile(r"\bprevious \|")),
    ("modules |", re.compile(r"\bmodules \|")),
    ("index (line)", _line("index")),
    ("Documentation »", re.compile(r"Documentation »")),
    ("Created using Sphinx", re.compile(r"Created using Sphinx")),
    ("© Copyright", re.compile(r"© Copyright")),
    ("¶", re.compile("¶")),
    ("Table of Contents", re.compile(r"Table of Contents")),
    ("Previous/Next topic", re.compile(r"(?:Previous|Next) topic")),
    ("This Page", _line("This Page")),
    ("Show Source", re.compile(r"Show Source")),
    ("Quick search", re.compile(r"Quick search")),
    ("Report a Bug", re.compile(r"Report a Bug")),
    ("Found a bug?", re.compile(r"Found a bug\?")),
    ("Last updated on", re.compile(r"Last updated on")),
    ("Prev (line)", _line("Prev")),
    ("Next (line)", _line("Next")),
    ("Home (line)", _line("Home")),
    ("Up (line)", _line("Up")),
]


def furniture(text: str) -> Counter:
    return Counter({label: len(pattern.findall(text)) for label, pattern in FURNITURE})


# --------------------------------------------------------------------------------------------------------------
# (c) layout ground truth from the page itself: table rows and indented code lines of the main content

_FURNITURE_BOX = re.compile(r"navigation|footer|sidebar|related|navheader|navfooter|breadcrumb", re.I)
_KEY_DROP = re.compile(r"[\s`*\\¶#_|]")


def _key(text: str) -> str:
    """Folded, without whitespace, Markdown marks, escapes, permalink signs or cell bars: "( `ls -l`)" matches
    "(ls -l)", "add\\_argument" matches "add_argument"."""
    return _KEY_DROP.sub("", _fold(text))


def layout_truth(html: bytes) -> dict:
    """What the page holds, from its own markup (lxml), outside navigation/footer/sidebar boxes:
    rows: (first cell, second cell) of each table row with two non-empty cells (no nested tables);
    code: each line of a <pre> that starts with 2+ spaces (then non-space);
    paras: each <p> of 8+ words; heads: each h1-h6."""
    import lxml.html

    root = lxml.html.fromstring(html)

    def furniture_box(el) -> bool:
        return any(a.tag in ("nav", "footer") or _FURNITURE_BOX.search(
            a.get("class", "") + " " + a.get("role", "") + " " + a.get("summary", "")) for a in el.iterancestors())

    rows = []
    for table in root.iter("table"):
        if _FURNITURE_BOX.search(table.get("summary", "") + table.get("class", "") + table.get("role", "")):
            continue
        if furniture_box(table) or any(a.tag == "table" for a in table.iterancestors()) \
                or table.find(".//table") is not None:
            continue
        for tr in table.iter("tr"):
            cells = [_key(c.text_content())[:30] for c in tr if c.tag in ("td", "th")]
            cells = [c for c in cells if c]
            if len(cells) >= 2:
                rows.append((cells[0], cells[1]))
    code = []
    for pre in root.iter("pre"):
        for line in pre.text_content().expandtabs(8).split("\n"):
            if re.match(r"^ {2,}\S", line):
                code.append(line.rstrip())
    paras = [_key(p.text_content()) for p in root.iter("p")
             if len(p.text_content().split()) >= 8 and not furniture_box(p)]
    heads = [_key(h.text_content()) for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6") if not furniture_box(h)]
    return {"rows": rows, "code": code, "paras": paras, "heads": [h for h in heads if h]}


# Markdown backslash escapes a converter adds to plain text ("add\\_argument", "\\[0\\]"): noise in snippets
# and a hazard for identifiers in search.
_MD_ESCAPE = re.compile(r"\\[_*\[\]`#<>|]")


def layout_scores(text: str, truth: dict) -> dict:
    line_keys = [_key(line) for line in text.split("\n")]
    joined = "\n".join(line_keys)
    whole = "".join(line_keys)
    rows_one_line = sum(1 for a, b in truth["rows"] if re.search(re.escape(a) + r".*" + re.escape(b), joined))
    raw_lines = {line.rstrip() for line in text.expandtabs(8).split("\n")}
    stripped_lines = {line.strip() for line in raw_lines}
    code = truth["code"]
    kept = sum(1 for line in code if line in raw_lines)
    flat = sum(1 for line in code if line not in raw_lines and line.strip() in stripped_lines)
    line_set = {k.lstrip("-") for k in line_keys}
    return {"rows": len(truth["rows"]), "rows_one_line": rows_one_line, "code_lines": len(code),
            "code_indent_kept": kept, "code_flattened": flat, "md_escapes": len(_MD_ESCAPE.findall(text)),
            "paras": len(truth["paras"]), "paras_kept": sum(1 for p in truth["paras"] if p in whole),
            "heads": len(truth["heads"]), "heads_kept": sum(1 for h in truth["heads"] if h in line_set)}


# --------------------------------------------------------------------------------------------------------------
# (d) import cost

def import_cost(statement: str, runs: int, cwd: Path) -> dict:
    def wall(stmt: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", stmt], cwd=cwd, check=True, capture_output=True)
        return time.perf_counter() - start

    def importtime(stmt: str) -> float:
        """Sum of -X importtime's cumulative microseconds over the top-level imports the statement made."""
        proc = subprocess.run([sys.executable, "-X", "importtime", "-c", stmt], cwd=cwd, check=True,
                              capture_output=True, text=True)
        total = 0
        for line in proc.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
            if m and not m.group(3):  # level 0: no indentation before the name
                total += int(m.group(2))
        return total / 1e6

    base = [wall("pass") for _ in range(runs)]
    walls = [wall(statement) for _ in range(runs)]
    itimes = [importtime(statement) - importtime("pass") for _ in range(runs)]
    base_min = min(base)
    return {"wall_minus_empty_s": [round(w - base_min, 3) for w in walls],
            "importtime_cumulative_s": [round(t, 3) for t in itimes]}


# --------------------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, default=ROOT.parent / "shared/eval/realdocs")
    parser.add_argument("--qa", type=Path, default=ROOT.parent / "shared/eval/realdocs_qa.jsonl")
    parser.add_argument("--project", action="append", metavar="LABEL=ROOT",
                        help="a checkout whose retrieval.extract to measure (repeatable; default project=this one), "
                             "e.g. head=/tmp/main_head from `git archive HEAD | tar -x -C /tmp/main_head`")
    parser.add_argument("--only", nargs="*", help="extractor names (default: all whose library imports)")
    parser.add_argument("--runs", type=int, default=3, help="timed passes over all files")
    parser.add_argument("--import-runs", type=int, default=5)
    parser.add_argument("--dump", type=Path, help="write each text to DIR/EXTRACTOR/FILE.txt")
    parser.add_argument("--json", type=Path, help="write the full results here")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()

    projects = {}
    for spec in args.project or [f"project={ROOT}"]:
        label, _, root = spec.partition("=")
        projects[label] = Path(root).resolve()
        load_project(label, projects[label])
        EXTRACTORS[label] = ("import bs4; from retrieval.files import extract", _project_extractor(label))
    EXTRACTORS.update({k: EXTRACTORS.pop(k) for k in list(EXTRACTORS) if k not in projects})  # projects first
    files = sorted(args.docs.glob("*.html"))
    data = {f.name: f.read_bytes() for f in files}
    megabytes = sum(len(b) for b in data.values()) / 1e6
    qa = [json.loads(line) for line in args.qa.read_text().splitlines() if line.strip()]
    questions = [q for q in qa if q["answers"] and q["doc"] in data]
    truth = {name: layout_truth(html) for name, html in data.items()}
    n_rows = sum(len(t["rows"]) for t in truth.values())
    n_code = sum(len(t["code"]) for t in truth.values())
    n_paras = sum(len(t["paras"]) for t in truth.values())
    n_heads = sum(len(t["heads"]) for t in truth.values())
    print(f"{len(files)} HTML files, {megabytes:.2f} MB; {len(questions)} answerable questions on them; "
          f"{n_paras} <p> of 8+ words, {n_heads} headings, {n_rows} table rows and {n_code} indented code lines "
          "in the pages (outside navigation/footer boxes)")

    results = {}
    names = args.only or list(EXTRACTORS)
    base_label = next(iter(projects))
    for name in names:
        statement, func = EXTRACTORS[name]
        try:
            if name not in projects:
                exec(statement, {})
        except ImportError as exc:
            print(f"skip {name}: {exc}")
            continue
        func(data[files[0].name], files[0].name)  # warm-up: lazy imports, stoplists, caches
        texts: dict[str, str] = {}
        times = []
        failures = []
        for _ in range(args.runs):
            start = time.perf_counter()
            for fname, html in data.items():
                try:
                    texts[fname] = func(html, fname)
                except Exception as exc:  # a library failing on a page is a result, not a crash
                    texts[fname] = ""
                    failures.append(f"{fname}: {type(exc).__name__}: {exc}")
            times.append(time.perf_counter() - start)
        if args.dump:
            (args.dump / name).mkdir(parents=True, exist_ok=True)
            for fname, text in texts.items():
                (args.dump / name / f"{fname}.txt").write_text(text)
        hits = [q for q in questions if contains_answer(texts[q["doc"]], q["answers"])]
        misses = [f"{q['doc']}: {q['answers']}" for q in questions if q not in hits]
        furn = Counter()
        files_with_furn = 0
        layout = Counter()
        for fname, text in texts.items():
            f = furniture(text)
            furn.update(f)
            files_with_furn += any(v for k, v in f.items() if k not in ("Table of Contents",))
            layout.update(layout_scores(text, truth[fname]))
        per_group = Counter()
        for fname, text in texts.items():
            per_group[fname.split("_")[0]] += len(text)
        layout_by_source: dict[str, Counter] = {}
        for fname, text in texts.items():
            layout_by_source.setdefault(fname.split("_")[0], Counter()).update(layout_scores(text, truth[fname]))
        results[name] = {
            "answers_found": len(hits), "answers_total": len(questions), "misses": misses,
            "chars": sum(len(t) for t in texts.values()), "chars_by_source": dict(per_group),
            "empty_files": [f for f, t in texts.items() if not t.strip()],
            "furniture": dict(furn), "furniture_total": sum(furn.values()),
            "files_with_furniture": files_with_furn,
            "layout": dict(layout), "layout_by_source": {k: dict(v) for k, v in layout_by_source.items()},
            "s_per_mb": [round(t / megabytes, 3) for t in times],
            "failures": sorted(set(failures)),
            "import": import_cost(statement, args.import_runs, projects.get(name, ROOT)),
        }
        r = results[name]
        print(f"done {name}: answers {r['answers_found']}/{r['answers_total']}, chars {r['chars']:,}, "
              f"furniture {r['furniture_total']}, {min(r['s_per_mb'])}-{max(r['s_per_mb'])} s/MB", flush=True)

    base = results.get(base_label, {}).get("chars")
    print()
    print("| extractor | answers in doc text | chars (vs project) | furniture hits (files) | <p> kept | headings kept "
          "| table rows on one line | indented code lines kept (flattened) | Markdown escapes | s/MB | import s (wall-empty; -X importtime) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        lay = r["layout"]
        ratio = f" ({r['chars'] / base:.2f}x {base_label})" if base else ""
        imp = r["import"]
        w, it = imp["wall_minus_empty_s"], imp["importtime_cumulative_s"]
        print(f"| {name} | {r['answers_found']}/{r['answers_total']} | {r['chars']:,}{ratio} | "
              f"{r['furniture_total']} ({r['files_with_furniture']}/{len(files)}) | "
              f"{lay.get('paras_kept', 0)}/{lay.get('paras', 0)} | {lay.get('heads_kept', 0)}/{lay.get('heads', 0)} | "
              f"{lay.get('rows_one_line', 0)}/{lay.get('rows', 0)} | "
              f"{lay.get('code_indent_kept', 0)}/{lay.get('code_lines', 0)} ({lay.get('code_flattened', 0)}) | "
              f"{lay.get('md_escapes', 0)} | "
              f"{min(r['s_per_mb']):.2f}-{max(r['s_per_mb']):.2f} | "
              f"{min(w):.3f}-{max(w):.3f}; {min(it):.3f}-{max(it):.3f} |")
    print()
    labels = [label for label, _ in FURNITURE]
    print("furniture by marker: " + ", ".join(results))
    for label in labels:
        print(f"  {label:22s} " + " ".join(f"{results[n]['furniture'].get(label, 0):6d}" for n in results))
    print("chars by source: " + ", ".join(results))
    for group in sorted({g for r in results.values() for g in r["chars_by_source"]}):
        print(f"  {group:12s} " + " ".join(f"{results[n]['chars_by_source'].get(group, 0):9,d}" for n in results))
    print("<p> kept, headings kept, table rows on one line, indented code lines kept, by source: "
          + ", ".join(results))
    for group in sorted({g for r in results.values() for g in r["layout_by_source"]}):
        cells = []
        for n in results:
            lay = results[n]["layout_by_source"].get(group, {})
            cells.append(f"{lay.get('paras_kept', 0)}/{lay.get('paras', 0)} {lay.get('heads_kept', 0)}/"
                         f"{lay.get('heads', 0)} {lay.get('rows_one_line', 0)}/{lay.get('rows', 0)} "
                         f"{lay.get('code_indent_kept', 0)}/{lay.get('code_lines', 0)}")
        print(f"  {group:10s} " + " | ".join(cells))
    for name, r in results.items():
        if r["empty_files"] or r["failures"]:
            print(f"{name}: empty output {r['empty_files']}; failures {r['failures'][:5]}")
        if args.show_misses and r["misses"]:
            print(f"{name} misses: " + "; ".join(r["misses"]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
