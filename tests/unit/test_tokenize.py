import subprocess
import sys

import pytest

from retrieval.text.passages import split_passages
from retrieval.text.sentences import split_sentences
from retrieval.text.tokenize import iter_terms, tokenize


def test_accents_fold_and_hyphenated_names_match_whole_and_by_part():
    assert set(tokenize("Díaz-Canel")) == set(tokenize("Diaz-Canel")) == {"diaz-canel", "diaz", "canel"}
    assert set(tokenize("Diaz")) <= set(tokenize("Miguel Díaz-Canel"))


def test_numbers_ordinals_acronyms_kept():
    assert tokenize("the 193rd country in 1949") == ["193rd", "countri", "1949"]
    assert tokenize("1,000 people") == ["1000", "peopl"]
    assert tokenize("a U.N. member") == ["un", "member"]
    assert tokenize("on Feb.15") == ["feb", "15"]


def test_stopwords_stemming_and_british_spellings():
    assert tokenize("when did they recognise the colours") == tokenize("When did they RECOGNIZE the colors")
    assert tokenize("the of and is") == []


def test_possessives_and_curly_apostrophes():
    assert tokenize("Korea’s allies") == tokenize("Korea's ally") == ["korea", "alli"]


def test_offsets_point_into_original_text():
    text = "Cuban President Miguel Díaz-Canel(left)"
    for term, start, end in iter_terms(text):
        assert text[start:end].lower().replace("í", "i").startswith(term[:3])


def test_non_latin_words_are_terms():
    assert tokenize("Привет мир") == ["привет", "мир"]


def test_sentences_without_space_after_period_are_split():
    parts = split_sentences("The effort has borne fruit.Lee Bo-kyung has more.Report: In a surprise, Dr. Kim spoke on Feb.15.")
    assert parts == ["The effort has borne fruit.", "Lee Bo-kyung has more.", "Report: In a surprise, Dr. Kim spoke on Feb.15."]


def test_passages_bounded_overlapping_with_stable_offsets():
    text = " ".join(f"Sentence number {i} talks about topic {i} at some length here." for i in range(40))
    passages = split_passages("doc", text, max_words=50, overlap_sentences=1)
    assert len(passages) > 5
    for p in passages:
        assert text[p.start : p.end] == p.text
        assert len(p.text.split()) <= 50
        assert p.id == f"doc#{p.ordinal}"
    # consecutive passages share one sentence
    for a, b in zip(passages, passages[1:]):
        assert b.start < a.end
    assert split_passages("doc", text, 50, 1) == passages


def test_overlong_sentence_is_cut_at_word_edges():
    text = "word " * 500
    passages = split_passages("d", text.strip(), max_words=100, overlap_sentences=1)
    assert all(len(p.text.split()) <= 100 for p in passages)
    assert sum(len(p.text.split()) for p in passages) >= 500


def test_cut_passages_cover_the_long_sentence_exactly():
    text = "Intro sentence here. " + " ".join(f"w{i}" for i in range(250)) + "."
    passages = split_passages("d", text, max_words=100, overlap_sentences=0)
    words = " ".join(p.text for p in passages).split()
    assert words[:3] == ["Intro", "sentence", "here."]
    assert "w0" in words and "w249." in words


def test_thousands_commas_join_but_position_lists_do_not():
    assert tokenize("12,345,678 cells") == ["12345678", "cell"]
    assert "34" not in tokenize("phosphatidylinositol-3,4-biphosphate")
    assert {"3", "4"} <= set(tokenize("phosphatidylinositol-3,4-biphosphate"))


def test_greek_letter_symbols_match_their_spelled_names():
    assert tokenize("TNF-α") == tokenize("TNF-alpha") == ["tnf-alpha", "tnf", "alpha"]
    assert tokenize("NF-κB") == tokenize("NF-kappaB")
    assert tokenize("λόγος") == ["λογοσ"]  # a word written in Greek stays Greek


def test_porter_stems_acronym_plurals():
    assert tokenize("RXRs") == tokenize("RXR") == ["rxr"]


def test_passages_end_at_paragraphs_and_pack_short_lines():
    heading = "Mount Etna"
    para1 = " ".join(f"Etna fact number {i} is stated here." for i in range(8))
    para2 = " ".join(f"Sicily fact number {i} is stated here." for i in range(8))
    text = f"{heading}\n\n{para1}\n\n{para2}"
    passages = split_passages("d", text, max_words=100, overlap_sentences=2)
    assert [p.text for p in passages] == [f"{heading}\n\n{para1}", para2]  # the heading joins its paragraph
    # without blank lines the word bound and the overlap rule alone apply
    flat = split_passages("d", f"{para1} {para2}", max_words=100, overlap_sentences=2)
    assert len(flat) == 2 and flat[1].start < flat[0].end


def test_base_form_meets_its_ed_and_ing_forms():
    assert tokenize("boycott") == tokenize("boycotted") == tokenize("boycotting")
    assert tokenize("add") == tokenize("added")
    assert tokenize("HBB") == ["hbb"]  # no vowel: an acronym, left alone


def test_without_is_a_stopword_like_with_and_no():
    assert tokenize("a state without ties") == tokenize("a state with no ties")


def test_shipped_stopwords_are_bm25s_list():
    """retrieval/stopwords.py is a copy of bm25s's list (so tokenizing need not import bm25s): the same words."""
    bm25s_stopwords = pytest.importorskip("bm25s.stopwords")
    from retrieval.text.stopwords import STOPWORDS_EN_PLUS
    from retrieval.text.tokenize import STOPWORDS

    assert set(STOPWORDS_EN_PLUS) == set(bm25s_stopwords.STOPWORDS_EN_PLUS)
    assert STOPWORDS == frozenset(w.replace("'", "") for w in bm25s_stopwords.STOPWORDS_EN_PLUS) | {"without"}


def test_tokenizing_does_not_import_bm25s():
    code = "import sys, retrieval.text.tokenize; print(sorted({'bm25s', 'scipy', 'numba'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
