"""Hostile and unlucky files (issue 10): PDF bombs refused in bounded work, a parser's own failure skipped by
refresh and first-start seeding, document ids that never collide silently."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from retrieval.config import Settings
from retrieval.corpus import Corpus
from retrieval.errors import BadDocument
from retrieval.files import extract
from retrieval.ingest import make_doc_id, slugify

from pdf_maker import make_pdf

RUN = b"(AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA) Tj "


def test_a_pdf_that_inflates_far_beyond_its_size_is_refused() -> None:
    bomb = make_pdf(b"BT /F1 12 Tf 72 720 Td " + RUN * 1_200_000 + b"ET")  # 0.2 MB -> 76 MB
    assert len(bomb) < 300_000
    with pytest.raises(BadDocument, match="inflates far beyond its size"):
        extract(bomb, "bomb.pdf", 20 << 20)


def test_a_pdf_whose_text_is_far_larger_than_the_file_is_refused(monkeypatch) -> None:
    import retrieval.files.pdf as extract_module

    monkeypatch.setattr(extract_module, "PDF_CHARS_FLOOR", 200_000)  # the same rule, on a smaller file
    dense = make_pdf(b"BT /F1 12 Tf 72 720 Td " + RUN * 6_000 + b"ET")  # under the inflation cap
    with pytest.raises(BadDocument, match="text is far larger than the file"):
        extract(dense, "dense.pdf", 20 << 20)


def test_an_ordinary_pdf_still_reads() -> None:
    assert extract(make_pdf(b"BT /F1 12 Tf 72 720 Td (Bounded work) Tj ET"), "ok.pdf", 1 << 20).text == "Bounded work"


def test_ids_keep_every_script_and_tell_case_and_extension_apart() -> None:
    assert slugify("история.txt") == "история" and slugify("數學.txt") == "數學"
    assert slugify("!!!.txt") == "document"
    assert make_doc_id("Report.md", distinct=True) != make_doc_id("report.txt", distinct=True)
    assert make_doc_id("Report.md", distinct=True).startswith("report-")


def test_uploads_whose_plain_ids_collide_both_stay(empty_corpus) -> None:
    empty_corpus.add_bytes("Quarterly revenue rose by nine percent.".encode(), "report.txt", scope="s1")
    empty_corpus.add_bytes("# Report\n\nThe penguin census counted 420 birds.".encode(), "Report.md", scope="s1")
    empty_corpus.add_bytes("!!!".encode() + " Glaciers retreat every summer.".encode(), "!!!.txt", scope="s1")
    empty_corpus.add_bytes("Tundra mosses grow slowly.".encode(), "???.txt", scope="s1")
    docs = empty_corpus.documents("s1")
    assert len({d.id for d in docs}) == len(docs) == 4
    assert "420" in empty_corpus.ask("How many birds did the penguin census count?", scope="s1").answer
    assert "nine percent" in empty_corpus.ask("How much did quarterly revenue rise?", scope="s1").guess
    # the same name again replaces its own document, under its own id
    before = {d.id for d in empty_corpus.documents("s1")}
    empty_corpus.add_bytes("# Report\n\nThe penguin census counted 512 birds.".encode(), "Report.md", scope="s1")
    assert {d.id for d in empty_corpus.documents("s1")} == before
    assert "512" in empty_corpus.ask("How many birds did the penguin census count?", scope="s1").answer


def test_an_upload_reads_only_the_documents_its_id_could_be(empty_corpus, monkeypatch) -> None:
    """The operator's scope can hold a million documents: listing them all for one upload's id took 6-11 s
    at 1M (BENCHMARKS.md). The id comes from looking up the plain id alone; collisions still get their own."""
    empty_corpus.add_bytes(b"Quarterly revenue rose by nine percent.", "report.txt", scope="s1")

    def every_document(*args, **kwargs):
        raise AssertionError("an upload listed every document of its scope")

    monkeypatch.setattr(empty_corpus.store, "documents", every_document)
    empty_corpus.add_bytes(b"The penguin census counted 420 birds.", "Report.md", scope="s1")
    empty_corpus.add_bytes(b"Quarterly revenue rose by ten percent.", "report.txt", scope="s1")
    monkeypatch.undo()
    ids = {d.source: d.id for d in empty_corpus.documents("s1")}
    assert len(ids) == 2 and ids["Report.md"] != ids["report.txt"]
    assert "ten percent" in empty_corpus.store.get_document(ids["report.txt"]).text


def test_a_folder_with_colliding_names_is_ingested_whole(empty_corpus, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "report.txt").write_text("Quarterly revenue rose by nine percent.", encoding="utf-8")
    (folder / "Report.md").write_text("# Report\n\nThe penguin census counted 420 birds.", encoding="utf-8")
    (folder / "история.txt").write_text("История города начинается в 1703 году.", encoding="utf-8")
    (folder / "數學.txt").write_text("數學 是 研究 數量 的 學科", encoding="utf-8")
    report = empty_corpus.ingest([folder])
    assert len(report.added) == 4 and len(set(report.added)) == 4
    again = empty_corpus.refresh(folder)  # the same ids again: nothing changes
    assert not again.report.changed_anything and not again.failed


def _bad_pdf() -> bytes:
    return make_pdf(b"BT /F1 12 Tf 72 720 Td " + RUN * 1_200_000 + b"ET")


def test_refresh_skips_a_file_its_parser_refuses_and_keeps_the_rest(empty_corpus, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "bomb.pdf").write_bytes(_bad_pdf())
    (folder / "garbled.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer <<>>")
    (folder / "volcano.txt").write_text("Mount Etna is an active volcano on Sicily.", encoding="utf-8")
    (folder / "metadata.json").write_text("{not json", encoding="utf-8")
    result = empty_corpus.refresh(folder)
    assert result.report.added == ("volcano",)
    assert len(result.failed) == 3 and any("bomb.pdf" in f for f in result.failed)
    assert all("\n" not in f for f in result.failed)


def test_first_start_seeds_around_a_bad_file(tmp_path: Path, caplog) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "bomb.pdf").write_bytes(_bad_pdf())
    (folder / "volcano.txt").write_text("Mount Etna is an active volcano on Sicily. It erupted in 2021.",
                                        encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        corpus = Corpus(Settings(db_path=tmp_path / "db" / "c.db", corpus_dir=folder))
    try:
        assert corpus.ask("When did Mount Etna erupt?").answer == "2021"
        assert any("bomb.pdf" in r.getMessage() for r in caplog.records)
    finally:
        corpus.close()


def test_text_without_spaces_is_split_into_bounded_passages() -> None:
    from retrieval.text.passages import MAX_WORD_CHARS, split_passages

    passages = split_passages("d", "x" * 200_000, max_words=250)
    assert len(passages) == 20 and max(len(p.text) for p in passages) <= 250 * MAX_WORD_CHARS
    assert "".join(p.text for p in passages) == "x" * 200_000  # nothing lost, nothing repeated


def test_an_upload_is_read_in_a_child_that_cannot_exceed_its_limits(empty_corpus) -> None:
    """The child's limits end the work, the reply is one line, and the database is unchanged."""
    before = empty_corpus.store.counts()
    tight = empty_corpus.settings.with_(upload_memory_mb=300, upload_cpu_seconds=2)
    empty_corpus.settings = tight
    text = "".join(f"Entry {n} names the field{n} and value{n}.\n" for n in range(300_000))  # 12 MB of lines
    with pytest.raises(BadDocument) as refused:
        empty_corpus.add_bytes(text.encode(), "log.txt", scope="s")
    assert str(refused.value).startswith("log.txt: ") and "\n" not in str(refused.value)
    assert "limits" in str(refused.value) or "memory" in str(refused.value)
    assert empty_corpus.store.counts() == before
    empty_corpus.add_bytes(b"Small files still read fine.", "small.txt", scope="s")  # the next upload is served
    assert empty_corpus.store.counts()["documents"] == before["documents"] + 1


def test_the_child_reports_a_parser_failure_in_one_line(empty_corpus) -> None:
    with pytest.raises(BadDocument, match=r"^garbled\.pdf: not a readable PDF"):
        empty_corpus.add_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer <<>>",
                               "garbled.pdf", scope="s")


@pytest.mark.parametrize("name, page", [
    ("dump.md", "| a | b |\n|---|---|\n" + "| x | y |\n" * 120_000),
    ("dump.html", "<table>" + "<tr><td>x</td><td>y</td></tr>" * 60_000 + "</table>"),
])
def test_a_table_dump_is_refused_before_it_is_parsed(name: str, page: str) -> None:
    with pytest.raises(BadDocument, match=rf"^{name}: its tables hold more than 100,000 cells"):
        extract(page.encode(), name, 20 << 20)


def test_the_table_cap_counts_parsed_cells_too(monkeypatch) -> None:
    import retrieval.files.html_text as html_module
    from retrieval.files.html_text import PageTooLarge, html_blocks

    monkeypatch.setattr(html_module, "MAX_TABLE_CELLS", 2_000)  # the same rule on a smaller page
    rows = "<tr><td>x</td><td>y</td></tr>" * 1_001
    with pytest.raises(PageTooLarge):
        html_blocks(f"<TABLE>{rows.replace('<td>', '<TD >')}</TABLE>".replace("<TD >", "<td\n>"))
    assert len(html_blocks("<table>" + "<tr><td>x</td></tr>" * 1_500 + "</table>")[0]) == 1_500


def test_terminal_sequences_in_a_text_file_are_dropped_whole() -> None:
    text = extract(b"\x1b[5mBlink\x1b[0m is set. \x1b]8;;http://x.example\x07a link\x1b]8;;\x07 here.", "log.txt", 1 << 20).text
    assert text == "Blink is set. a link here."


def test_a_giant_word_is_a_bounded_term_that_still_matches() -> None:
    from retrieval.text.tokenize import MAX_TERM_CHARS, tokenize

    giant = "q" * 50_000
    assert [len(t) for t in tokenize(f"{giant} plain")] == [MAX_TERM_CHARS, 5]
    assert tokenize(giant) == tokenize(giant + "q")  # cut the same way in passages and questions


def test_many_pages_share_a_child_and_a_hostile_one_is_refused_under_its_own_limits(empty_corpus) -> None:
    """A web source's pages are read together (a process start per batch, not per page); when a page stops the
    child, the pages after it are read again one per child: the hostile one is refused, the others kept."""
    from retrieval.files.sandbox import prepare_many_bounded

    tight = empty_corpus.settings.with_(upload_memory_mb=300, upload_cpu_seconds=2)
    heavy = "".join(f"Entry {n} names the field{n} and value{n}.\n" for n in range(300_000)).encode()
    items = [(b"Basalt is volcanic.", "a.txt", {"doc_id": "a"}), (heavy, "heavy.txt", {"doc_id": "h"}),
             (b"", "empty.txt", {"doc_id": "e"}), (b"Granite is plutonic.", "b.txt", {"doc_id": "b"})]
    results = prepare_many_bounded(items, tight)
    assert [type(r).__name__ for r in results] == ["Prepared", "BadDocument", "BadDocument", "Prepared"]
    assert str(results[1]).startswith("heavy.txt: ") and "\n" not in str(results[1])
    assert results[3].document.id == "b" and "empty" in str(results[2])
