"""The library's front door: one object that the console and the bot both drive.

Opens the store (seeding a new database from the bundled `corpus/`), keeps the index snapshot in step
with the store, and answers. A change builds a new snapshot and swaps it in with one assignment, so a
question in flight keeps the snapshot it started with.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .answer import build_answer
from .config import Settings
from .errors import CorpusBusy, UnknownDocument
from .index import BM25Index
from .ingest import RefreshReport, ingest_paths, prepare, prepare_text, refresh_folder, tokens_string, write
from .models import Answer, Document, Hit, IngestReport, Passage
from .question import parse_question
from .search import Searcher
from .store import Store
from .tokenize import TOKENIZER_VERSION, tokenize

log = logging.getLogger(__name__)
GLOBAL_SCOPE = ""


@dataclass(frozen=True)
class PassageContext:
    passage: Passage
    document: Document
    before: str
    after: str


class Corpus:
    def __init__(self, settings: Settings, *, seed: bool = True) -> None:
        self.settings = settings
        self.store = Store(settings.db_path)
        self._change_lock = threading.Lock()
        if self.store.get_meta("tokenizer_version") not in (None, TOKENIZER_VERSION):
            n = self.store.retokenize(tokens_string, {"tokenizer_version": TOKENIZER_VERSION})
            log.info("tokenizer changed: re-tokenized %d stored passages", n)
        if seed and self.store.generation == 0 and settings.corpus_dir.is_dir():
            refresh_folder(self.store, settings.corpus_dir, settings)
        self.searcher = Searcher(self.store, self._load_or_build_index())

    def close(self) -> None:
        self.store.close()

    # -- index snapshots ----------------------------------------------------------------------------
    @property
    def index_dir(self) -> Path:
        return self.settings.db_path.with_name(self.settings.db_path.name + ".index")

    def _index_header(self) -> dict:
        s = self.settings
        return {"generation": self.store.generation, "tokenizer": TOKENIZER_VERSION, "k1": s.k1, "b": s.b,
                "epsilon": s.epsilon, "title_in_passages": s.title_in_passages}

    def _load_or_build_index(self) -> BM25Index:
        wanted = self._index_header()
        header = BM25Index.read_header(self.index_dir)
        if header and all(header.get(k) == v for k, v in wanted.items()):
            try:
                return BM25Index.load(self.index_dir)
            except (OSError, ValueError) as exc:
                log.warning("index at %s unusable (%s); rebuilding", self.index_dir, exc)
        return self._build_index()

    def _build_index(self) -> BM25Index:
        s = self.settings
        header = self._index_header()
        title_cache: dict[str, list[str]] = {}

        def rows() -> Iterable[tuple[str, str, list[str]]]:
            for pid, scope, tokens, title in self.store.iter_index_rows():
                terms = tokens.split() if tokens else []
                if s.title_in_passages and title:
                    if title not in title_cache:
                        title_cache.clear() if len(title_cache) > 10_000 else None
                        title_cache[title] = tokenize(title)
                    terms = terms + title_cache[title]
                yield pid, scope, terms

        index = BM25Index.build(rows(), k1=s.k1, b=s.b, epsilon=s.epsilon, header=header)
        try:
            index.save(self.index_dir)
        except OSError as exc:  # a read-only disk still answers, from memory
            log.warning("could not save the index to %s: %s", self.index_dir, exc)
        return index

    def _after_change(self, report: IngestReport) -> None:
        if report.changed_anything:
            self.searcher = Searcher(self.store, self._build_index())

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """One change at a time; a second one is refused at once rather than queued."""
        if not self._change_lock.acquire(blocking=False):
            raise CorpusBusy("The corpus is being changed right now; try again in a moment.")
        try:
            yield
        finally:
            self._change_lock.release()

    @property
    def busy(self) -> bool:
        return self._change_lock.locked()

    # -- questions ----------------------------------------------------------------------------------
    def scopes_for(self, scope: str | None) -> list[str] | None:
        """Who may see what: the bundled corpus everywhere, a server's own documents only there."""
        return None if scope is None else [GLOBAL_SCOPE, scope] if scope else [GLOBAL_SCOPE]

    def search(self, query: str, k: int = 10, scope: str | None = None) -> list[Hit]:
        question = parse_question(query, self.settings.max_question_chars)
        return self.searcher.search_terms(question.terms, k, self.scopes_for(scope))

    def rank(self, query: str, k: int = 10, scope: str | None = None) -> list[tuple[str, float]]:
        """(passage_id, score), best first, without reading passage text: for evaluation and benchmarks."""
        question = parse_question(query, self.settings.max_question_chars)
        index = self.searcher.index
        return [(index.passage_ids[r.row], r.score) for r in index.top(question.terms, k, self.scopes_for(scope))]

    def ask(self, query: str, scope: str | None = None, k: int = 10) -> Answer:
        question = parse_question(query, self.settings.max_question_chars)
        searcher = self.searcher  # one snapshot for the whole question
        hits = searcher.search_terms(question.terms, k, self.scopes_for(scope))
        return build_answer(question, hits, searcher.weight, min_coverage=self.settings.min_coverage,
                            max_citations=self.settings.top_k)

    # -- corpus management --------------------------------------------------------------------------
    def ingest(self, paths: list[Path], scope: str = GLOBAL_SCOPE) -> IngestReport:
        with self._changing():
            report = ingest_paths(self.store, paths, self.settings, scope)
            self._after_change(report)
            return report

    def add_bytes(self, data: bytes, name: str, scope: str = GLOBAL_SCOPE, title: str | None = None,
                  source: str | None = None) -> IngestReport:
        """An uploaded file (e.g. a Discord attachment)."""
        with self._changing():
            prepared = prepare(data, name, self.settings, scope=scope, title=title, source=source)
            report = write(self.store, [prepared])
            self._after_change(report)
            return report

    def ingest_records(self, records: Iterable[tuple[str, str, str]], scope: str = GLOBAL_SCOPE, batch: int = 500,
                       progress: Callable[[int], None] | None = None) -> IngestReport:
        """(doc_id, title, text) records, e.g. a dataset: streamed, one transaction per batch, one index build."""
        added: list[str] = []
        with self._changing():
            pending: list = []
            for doc_id, title, text in records:
                pending.append(prepare_text(doc_id, title, text, self.settings, scope=scope))
                if len(pending) >= batch:
                    added.extend(write(self.store, pending).added)
                    progress and progress(len(pending))
                    pending = []
            if pending:
                added.extend(write(self.store, pending).added)
                progress and progress(len(pending))
            report = IngestReport(added=tuple(added))
            self._after_change(IngestReport(added=("*",)))
            return report

    def remove(self, doc_id: str, scope: str | None = None) -> Document:
        with self._changing():
            doc = self.resolve_document(doc_id, scope)
            report = write(self.store, [], [doc.id])
            self._after_change(report)
            return doc

    def refresh(self, folder: Path | None = None, scope: str = GLOBAL_SCOPE) -> RefreshReport:
        with self._changing():
            result = refresh_folder(self.store, folder or self.settings.corpus_dir, self.settings, scope)
            self._after_change(result.report)
            return result

    def resolve_document(self, key: str, scope: str | None = None) -> Document:
        """A document by id or exact title (case-insensitive), visible from `scope`."""
        visible = self.store.documents(self.scopes_for(scope))
        for doc in visible:
            if doc.id == key:
                return doc
        matches = [d for d in visible if d.title.casefold() == key.strip().casefold()]
        if len(matches) == 1:
            return matches[0]
        raise UnknownDocument(f"No document {key!r}" + (" (several have that title; use the id)" if matches else "")
                              + "; `list` shows the ids.")

    def documents(self, scope: str | None = None) -> list[Document]:
        return self.store.documents(self.scopes_for(scope))

    def stats(self, scope: str | None = None) -> dict[str, object]:
        counts = self.store.counts()
        return {**counts, "visible_documents": len(self.documents(scope)), "indexed_passages": len(self.searcher.index),
                "vocabulary": len(self.searcher.index.vocab), "generation": self.store.generation,
                "database": str(self.settings.db_path), "k1": self.settings.k1, "b": self.settings.b}

    def context(self, passage_id: str, scope: str | None = None, chars: int = 400) -> PassageContext:
        passage = self.store.get_passage(passage_id)
        doc = self.store.get_document(passage.doc_id)
        allowed = self.scopes_for(scope)
        if allowed is not None and doc.scope not in allowed:
            raise UnknownDocument(f"no passage with id {passage_id!r}")
        before = doc.text[max(0, passage.start - chars) : passage.start]
        after = doc.text[passage.end : passage.end + chars]
        return PassageContext(passage, doc, before, after)
