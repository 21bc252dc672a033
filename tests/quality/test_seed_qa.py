"""Every question of the shared seed QA file, answered over the bundled corpus."""

from __future__ import annotations

import pytest

from conftest import DATA, load_jsonl

SEED_QA = load_jsonl(DATA / "seed_qa.jsonl")


@pytest.mark.parametrize("item", SEED_QA, ids=[q["q"] for q in SEED_QA])
def test_seed_question(corpus, item):
    answer = corpus.ask(item["q"])
    if not item["answers"]:
        assert not answer.found
        assert answer.answer is None
        return
    assert answer.found, f"not answered: {item['q']}"
    first_snippet = answer.citations[0].snippet.text
    assert any(a in (answer.short_answer or "") or a in first_snippet for a in item["answers"])
    # The product promise is a short answer, not only a snippet that happens to contain it.
    assert any(a in (answer.short_answer or "") for a in item["answers"]), answer.short_answer


def test_answer_cites_document_title_and_passage(corpus):
    answer = corpus.ask("when did Cuba recognize South Korea?")
    first = answer.citations[0]
    assert answer.short_answer == "1949"
    assert "Although Cuba officially recognized South Korea in 1949" in first.snippet.text
    assert first.hit.title == "South Korea and Cuba establish diplomatic relations"
    assert first.hit.passage_id.startswith(first.hit.doc_id + "#")
    highlighted = {first.snippet.text[a:b] for a, b in first.snippet.spans}
    assert {"Cuba", "recognized", "South", "Korea"} <= highlighted
    assert len(answer.citations) <= 3


def test_two_documents_cited_when_both_support(corpus):
    answer = corpus.ask("Which UN member state has no diplomatic ties with South Korea?")
    assert answer.short_answer == "Syria"
    docs = {c.hit.doc_id for c in answer.citations}
    assert len(docs) == 2
    assert all("Syria" in c.snippet.text for c in answer.citations[:2])


def test_not_found_shows_closest_matches_only(corpus):
    answer = corpus.ask("Who is the president of France?")
    assert not answer.found and answer.answer is None and answer.short_answer is None
