"""Where a kind of change goes (ARCHITECTURE.md): each extension point is shown here with a small example
that touches at most two files of the product."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence

from retrieval.config import Settings
from retrieval.corpus import Corpus
from retrieval.files import FILE_TYPES, Extracted
from retrieval.files.blocks import ROW, Block
from retrieval.files.document import assemble
from retrieval.files.plain import decode
from retrieval.retriever import IndexRow, Retriever, ScoredRow


def read_csv(data: bytes, name: str) -> Extracted:
    """A new file type: a reader module (here, this function) ..."""
    rows = list(csv.reader(io.StringIO(decode(data, name))))
    return assemble([Block(ROW, " | ".join(cells)) for cells in rows if any(cells)], name)


def test_a_new_file_type_is_a_reader_and_one_line_in_the_registry(empty_corpus, monkeypatch) -> None:
    monkeypatch.setitem(FILE_TYPES, ".csv", read_csv)  # ... and one line in files/registry.py
    # (patched in this process only: the upload child would import the registry as written in the file)
    empty_corpus.settings = empty_corpus.settings.with_(upload_in_child=False)
    data = b"station,opened\nNordhavn,2019\nRigshospitalet,2024\n"
    report = empty_corpus.add_bytes(data, "stations.csv", scope="s")
    assert report.added == ("s/stations",)
    answer = empty_corpus.ask("When did Nordhavn station open?", scope="s")
    assert "2019" in (answer.guess or "") and answer.citations[0].hit.doc_id == "s/stations"


class OverlapRetriever:
    """A new engine: a module implementing the Retriever protocol (here, this class and `build` below) ...
    It ranks passages by how many distinct question terms they hold."""

    def __init__(self, rows: Iterable[IndexRow]) -> None:
        self.ids: list[str] = []
        self.scopes: list[str] = []
        self.terms: list[set[str]] = []
        for passage_id, scope, tokens in rows:
            self.ids.append(passage_id)
            self.scopes.append(scope)
            self.terms.append(set(tokens))

    def _rows(self, scopes: Iterable[str] | None) -> list[int]:
        allowed = None if scopes is None else set(scopes)
        return [r for r, s in enumerate(self.scopes) if allowed is None or s in allowed]

    def top(self, terms: Sequence[str], k: int, scopes: Iterable[str] | None = None) -> list[ScoredRow]:
        wanted = set(terms)
        scored = [ScoredRow(r, float(len(wanted & self.terms[r]))) for r in self._rows(scopes)]
        return sorted((s for s in scored if s.score), key=lambda s: (-s.score, s.row))[:k]

    def passage_id(self, row: int) -> str:
        return self.ids[row]

    def doc_freqs(self, scopes: Iterable[str] | None = None) -> Callable[[str], int]:
        rows = self._rows(scopes)
        return lambda term: sum(term in self.terms[r] for r in rows)

    def passage_count(self, scopes: Iterable[str] | None = None) -> int:
        return len(self._rows(scopes))

    def warm_up(self) -> None:
        pass


def build(rows: Iterable[IndexRow], settings: Settings) -> OverlapRetriever:
    """The engine module's entry point: every stored passage's tokens -> a retriever (rebuilt after a change)."""
    return OverlapRetriever(rows)


def test_a_new_engine_is_a_retriever_module_and_its_name_in_the_settings(docs_dir, tmp_path) -> None:
    settings = Settings(db_path=tmp_path / "db" / "corpus.db", corpus_dir=docs_dir,
                        engine=__name__)  # ... and its name in the configuration (RETRIEVAL_ENGINE)
    corpus = Corpus(settings)
    try:
        assert isinstance(corpus.searcher.index, OverlapRetriever) and isinstance(corpus.searcher.index, Retriever)
        answer = corpus.ask("When did Mount Etna erupt?")
        assert answer.found and "2021" in (answer.answer or "") and answer.citations[0].hit.doc_id == "volcano"
        assert corpus.rank("Danube Black Forest")[0] == ("rivers#0", 3.0)  # its own scores: terms in common
        corpus.add_bytes(b"The Vistula is the longest river in Poland. It rises in the Silesian Beskids.",
                         "vistula.txt", scope="s")
        answer = corpus.ask("Where does the Vistula rise?", scope="s")
        assert answer.found and answer.citations[0].hit.doc_id == "s/vistula"
        assert not corpus.search("Vistula", scope="other")  # scopes still decide who sees what
    finally:
        corpus.close()
