"""Unanswered questions are re-read with WordNet synonyms, under the same rules that decide any answer."""

from __future__ import annotations

from retrieval import render
from retrieval.corpus import Corpus
from retrieval.answer.thesaurus import DATA, phrase_key, rephrasings, synonyms
from retrieval.text.tokenize import normalize_term
from cogs import embeds

SEVERED = "what year were exchanges between the two countries cut off"


def test_the_table_ships_with_the_package_and_keeps_phrasal_verbs() -> None:
    assert DATA.is_file() and (DATA.parent / "WORDNET_LICENSE").is_file()
    assert phrase_key(["Cut", "off"]) == "cut of"  # "off" is a stopword to the index, not to a phrase
    assert "severed" in synonyms(phrase_key(["cut", "off"]))
    assert "recognize" not in synonyms(phrase_key(["recognise"]))  # British and American spellings share a key
    assert synonyms("no such phrase here") == ()


def test_only_phrases_holding_a_missing_term_are_reworded() -> None:
    found = list(rephrasings(SEVERED, {"cut"}, normalize_term))
    assert found and all(phrase in ("cut off", "cut") for _, phrase, _ in found)
    assert (SEVERED.replace("cut off", "severed"), "cut off", "severed") in found
    assert list(rephrasings(SEVERED, set(), normalize_term)) == []
    only = list(rephrasings(SEVERED, {"cut"}, normalize_term, usable=lambda synonym: synonym == "severed"))
    assert only == [(SEVERED.replace("cut off", "severed"), "cut off", "severed")]


def test_only_synonyms_the_corpus_contains_cost_a_search(corpus: Corpus, monkeypatch) -> None:
    searched: list[tuple[str, ...]] = []
    search_terms = corpus.searcher.search_terms
    monkeypatch.setattr(corpus.searcher, "search_terms",
                        lambda terms, *a: searched.append(tuple(terms)) or search_terms(terms, *a))
    assert corpus.ask(SEVERED).found
    # the question, then "severed" directly: "interrupt", "chop off", "amputate"... are not in the articles
    assert len(searched) == 2 and "sever" in searched[1]


def test_a_synonym_finds_the_answer_and_the_reply_says_how(corpus: Corpus) -> None:
    answer = corpus.ask(SEVERED)
    assert answer.found and answer.short_answer == "1959"
    assert answer.question == SEVERED and answer.read_as == SEVERED.replace("cut off", "severed")
    assert "severed" in render.to_plain(answer) and render.to_json(answer)["read_as"] == answer.read_as
    assert "severed" in embeds.to_embed(answer)["description"]


def test_without_synonyms_the_same_question_is_not_answered(corpus: Corpus) -> None:
    corpus.settings = corpus.settings.with_(synonyms=0)
    answer = corpus.ask(SEVERED)
    assert not answer.found and answer.read_as is None


def test_questions_the_corpus_cannot_answer_stay_unanswered(corpus: Corpus, monkeypatch) -> None:
    import retrieval.answer.rewording as rewording_module

    offered: list[str] = []
    rephrasings = rewording_module.rephrasings
    monkeypatch.setattr(rewording_module, "rephrasings",
                        lambda *a, **kw: (offered.append(t[2]) or t for t in rephrasings(*a, **kw)))
    for question in ("how many people live in pyongyang", "what is the population of cuba",
                     "what did the un say about climate change in 2018", "what currency is used in havana"):
        answer = corpus.ask(question)
        assert not answer.found, (question, answer.read_as, answer.answer)
    assert "exchange" in offered  # "climate change" -> "climate exchange" was offered, and refused


def test_names_and_the_kind_of_answer_are_never_swapped(corpus: Corpus, monkeypatch) -> None:
    # A missing name is why such a question goes unanswered; swapping it would drop the rule that every
    # name asked about must be in the passage. "which city" -> "which metropolis" would change the answer type.
    import retrieval.answer.thesaurus as thesaurus

    monkeypatch.setattr(thesaurus, "synonyms", lambda key: ("Cuba",))  # a thesaurus that offers anything
    assert not corpus.ask("When did Lincoln recognize South Korea").found  # "Cuba recognize..." would be 1949
    question = "in which city did lincoln swap notes"
    offered = [p for _, p, _ in rephrasings(question, {"citi", "lincoln"}, normalize_term)]
    assert "city" in offered and "lincoln" in offered
    offered = [p for _, p, _ in rephrasings(question, {"citi", "lincoln"}, normalize_term, kept=frozenset({"citi"}))]
    assert "lincoln" in offered and not any("city" in p for p in offered)


def test_a_negative_setting_turns_rewording_off(corpus: Corpus) -> None:
    corpus.settings = corpus.settings.with_(synonyms=-1)
    assert not corpus.ask(SEVERED).found


def test_a_reworded_answer_in_discord_pings_no_one(corpus: Corpus, monkeypatch) -> None:
    import retrieval.answer.rewording as rewording_module

    monkeypatch.setattr(rewording_module, "rephrasings", lambda text, *a, **kw: iter(
        [(text.replace("cut off", "severed @here"), "cut off", "severed")]))  # "here" is a stopword
    answer = corpus.ask(SEVERED)
    assert answer.found and "@here" in answer.read_as
    embed = embeds.to_embed(answer)
    assert "@here" not in embed["description"] and "here" in embed["description"]


def test_answered_questions_are_never_reworded(corpus: Corpus) -> None:
    answer = corpus.ask("when did cuba recognize south korea")
    assert answer.found and answer.read_as is None


def test_rewordings_share_a_budget_of_postings(corpus: Corpus, monkeypatch) -> None:
    # Counted work, not time: an unanswered question over common words is not re-asked eight times at 1M passages.
    import retrieval.answer.rewording as rewording_module

    monkeypatch.setattr(rewording_module, "REWORDING_POSTINGS", 0)
    assert not corpus.ask(SEVERED).found
    monkeypatch.setattr(rewording_module, "REWORDING_POSTINGS", 10_000)
    assert corpus.ask(SEVERED).found
