"""Each rule of the answer stage on a small example of its own: question types, candidate shapes, the
evidence a candidate gets, the one-line answer, citations in ranking order, the confidence decision, typo
correction and the eval's matching rule. None of these sentences comes from the development set."""

from __future__ import annotations

import pytest

from retrieval import render
from retrieval.answer.build import build_answer
from retrieval.answer.sentences import one_line as _one_line
from retrieval.answer.short_answer import stated_for as _stated_for, word_positions as _word_positions
from retrieval.answer.candidates import candidates, fits_noun, proper_words
from retrieval.answer.confidence import Signals, decide
from retrieval.answer.matching import contains_answer
from retrieval.models import ANSWERED, NOT_FOUND, NOT_SURE, Hit
from retrieval.answer.question import (DATE, HOWTO, NUMBER, PERSON, REASON, TECH, VALUE, VERSION, answer_type,
                                parse_question)
from retrieval.answer.spelling import correct_question, correct_word
from retrieval.text.tokenize import tokenize
from retrieval.answer.weights import TermWeight
from cogs import embeds


# -- what kind of answer is asked for ------------------------------------------------------------------
@pytest.mark.parametrize("question, kind", [
    ("How do I mount a USB stick?", HOWTO),
    ("how can I list open ports", HOWTO),
    ("Why does the kernel panic on boot?", REASON),
    ("In which GIMP version did layers groups appear?", VERSION),
    ("which release of nginx dropped that module", VERSION),
    ("What is the release date of Gnome 40?", DATE),
    ("Which port does the print server listen on?", NUMBER),
    ("Which exit code means the test was skipped?", NUMBER),
    ("What is the default value of the sync interval?", VALUE),
    ("Which command lists block devices?", TECH),
    ("Which IP address is the loopback interface?", TECH),
    ("Who maintains the wiki?", PERSON),
    # the first question phrase decides: "when" here only joins a clause
    ("how long does the cache wait when the disk is full", NUMBER),
    # keyword questions: the noun among the first words says what is asked
    ("uid range for system accounts", NUMBER),
    ("config file for the web server", TECH),
])
def test_answer_type(question: str, kind: str) -> None:
    assert answer_type(question) == kind


def test_type_noun_is_searched_but_not_required() -> None:
    q = parse_question("Which command removes a directory tree?")
    assert "command" in q.type_terms and "command" in q.terms and not q.required


# -- candidate shapes -----------------------------------------------------------------------------------
def _texts(sentence: str, kind: str | None, proper: set[str] | None = None) -> list[str]:
    return [c.text for c in candidates(sentence, kind, proper or set())]


def test_numbers_keep_their_unit_and_range() -> None:
    found = _texts("It needs 512 kbytes, one year, 10-60% of 200 MB/s, six shiny disks and 5 Cuba trips.", NUMBER)
    assert {"512 kbytes", "one year", "10-60%", "200 MB/s", "six", "5"} <= set(found)
    assert "six shiny" not in found and "5 Cuba" not in found


def test_versions_dates_and_literals() -> None:
    assert _texts("Added in version 2.4.1; removed in release 7.", VERSION) == ["2.4.1", "7"]
    assert "12 March 2021" in _texts("It shipped on 12 March 2021 (see 2021-03-12).", DATE)
    assert {"(640, 480)", '"off"', "True"} <= set(_texts('It falls back to (640, 480); "off" or True.', VALUE))
    assert '"off"' not in _texts('It is "off" by default.', NUMBER)  # a quoted word is no number
    assert "4" not in _texts("See bug #4 in the tracker.", NUMBER)


def test_sentence_initial_capitalised_word_is_not_a_name() -> None:
    assert _texts("Meanwhile the ferry was run by Anna Berg.", "name") == ["Anna Berg"]
    assert "Remove" not in _texts("Remove the cover first.", "name")
    # ... unless the same word is written capitalised inside other sentences: then it is a proper noun
    proper = proper_words(["The language Rust is fast."])
    assert "Rust" in _texts("Rust is fast.", "name", proper)
    assert _texts("OpenBSD ships it.", "name") == ["OpenBSD"]  # inner capitals: a name at any place


def test_technical_terms() -> None:
    sentence = ("Run `fsck -y` or pass --force to /usr/sbin/tool, set max_size=10 in conf.Section, "
                "call os.walk() or lsblk(8), mail ops@example.org, reach 10.0.0.1 and use CMake, "
                "see https://example.org/docs.")
    found = set(_texts(sentence, TECH))
    assert {"fsck -y", "--force", "/usr/sbin/tool", "max_size=10", "conf.Section", "os.walk()", "lsblk(8)",
            "ops@example.org", "10.0.0.1", "CMake", "https://example.org/docs"} <= found
    assert not {"-y", "Section", "walk", "example.org"} & found  # no piece of a larger token


def test_code_names_and_people() -> None:
    assert "RFC 2616" in _texts("HTTP/1.1 is RFC 2616.", TECH)
    people = _texts("Written by Mary Kay McGill with the help of LibCore and NASA, ACME Media Type Class.", PERSON)
    assert people == ["Mary Kay McGill"]


def test_type_noun_forms() -> None:
    assert fits_noun("192.168.1.1", frozenset({"address"})) and not fits_noun("GNOME", frozenset({"address"}))
    assert fits_noun("/etc/fstab", frozenset({"file"})) and fits_noun("--dry-run", frozenset({"option"}))


def test_a_value_stated_for_a_question_term() -> None:
    sentence = "The limit is 64 and the pool holds 8 workers in 2020"
    words = _word_positions(sentence)
    index = {sentence[a:b]: i for i, (a, b, _) in enumerate(words)}
    terms = set(tokenize("limit pool"))
    assert _stated_for(words, index["64"], terms, sentence)
    assert not _stated_for(words, index["2020"], terms, sentence)  # "in" is not a copula


def test_an_answer_is_one_line() -> None:
    assert _one_line("```\nmake\n  install\n```") == "make install"
    assert "\n" not in _one_line("first\nsecond") and len(_one_line("word " * 200)) <= 402


# -- building the answer ------------------------------------------------------------------------------
def _hit(pid: str, score: float, text: str, heading: str = "") -> Hit:
    return Hit(pid, pid.split("#")[0], score, text, "Manual", "manual.txt", int(pid.split("#")[1]),
               tuple(sorted(set(tokenize(text)))), heading)


def _weight() -> TermWeight:
    return TermWeight(lambda term: 1, 100)


def test_citations_keep_ranking_order_with_the_answer_first() -> None:
    hits = [_hit("a#0", 9.0, "The ferry timetable changes every spring."),
            _hit("b#1", 8.0, "The ferry to Lindholm leaves at 7:40 from pier 3. Tickets are sold on board."),
            _hit("a#2", 7.0, "The ferry is operated by the harbour board."),
            _hit("c#3", 6.0, "Another ferry page.")]
    answer = build_answer(parse_question("Which pier does the ferry to Lindholm leave from?"), hits, _weight())
    assert [c.hit.passage_id for c in answer.citations] == ["b#1", "a#0", "a#2"]


def test_a_changelog_bullet_takes_its_version_from_the_entry() -> None:
    text = "Tool 4.2 changes a few defaults:\n\n* Drop support for the legacy wire format."
    hits = [_hit("n#0", 5.0, text, "tool (4.2-1) unstable")]
    answer = build_answer(parse_question("Which tool release dropped the legacy wire format?"), hits, _weight())
    assert answer.guess == "4.2"


def test_howto_is_answered_with_the_instruction() -> None:
    hits = [_hit("h#0", 5.0, "Backups matter. To restore a backup, run `restic restore latest`. It is quick.")]
    answer = build_answer(parse_question("How do I restore a backup?"), hits, _weight())
    assert "restic restore latest" in answer.guess


# -- answered, not sure, not found --------------------------------------------------------------------
def _signals(**changes: float) -> Signals:
    base = dict(cover_passage=1.0, cover_sentence=1.0, cover_top=1.0, rare_share=1.0, missing_max=0.0,
                names_ok=1.0, score_ratio=0.6, margin=0.3, type_unmet=0.0, candidate=2.0, answer_rank=0.0,
                number_missing=0.0, from_context=0.0)
    return Signals(**{**base, **changes})


def test_decision() -> None:
    assert decide(_signals()) == ANSWERED
    assert decide(_signals(number_missing=1.0)) == NOT_FOUND  # "version 9.3" asked, 9.2's notes found
    assert decide(_signals(type_unmet=1.0, candidate=0.0)) == NOT_SURE  # a date asked, none found
    weak = _signals(cover_passage=0.3, cover_top=0.3, rare_share=0.0, names_ok=0.0, candidate=0.0, margin=0.0)
    assert decide(weak) == NOT_FOUND
    assert decide(_signals(cover_passage=0.2, cover_top=0.2), floor=0.5) == NOT_FOUND
    # an answer taken from a sentence near the matching one is less sure than one from the sentence itself
    from retrieval.answer.confidence import probability
    assert probability(_signals(from_context=1.0)) < probability(_signals())


def test_not_sure_is_labelled_and_not_found_in_json() -> None:
    hits = [_hit("a#0", 1.0, "The museum opens at nine.")]
    answer = build_answer(parse_question("When did the museum first open?"), hits, _weight())
    assert answer.confidence in (NOT_SURE, NOT_FOUND) and not answer.found and answer.answer is None
    data = render.to_json(answer)
    assert data["found"] is False and data["confidence"] == answer.confidence
    if answer.confidence == NOT_SURE:
        assert render.heading(answer) == render.NOT_SURE_NOTE
        assert embeds.to_embed(answer)["description"] == render.NOT_SURE_NOTE


# -- typos -------------------------------------------------------------------------------------------
def test_typos_are_read_as_the_corpus_spelling() -> None:
    vocabulary = {"connect": 5, "databas": 9, "lock": 3}
    df = lambda term: vocabulary.get(term, 0)  # noqa: E731
    assert correct_word("conection", df) == "connection"
    assert correct_word("lock", df) is None  # known words stay
    assert correct_question("Does Kafka conection lock the databse", df) == "Does Kafka connection lock the database"


# -- the eval's matching rule --------------------------------------------------------------------------
def test_answers_match_at_word_edges_with_whitespace_and_accents_folded() -> None:
    assert not contains_answer("up to 999999 rows", ["9999"])
    assert not contains_answer("see example.org", ["rg"])
    assert contains_answer("on August\n16th, 1993", ["August 16th, 1993"])
    assert contains_answer("Gerhard Ha\u0308ring wrote it", ["Gerhard Häring"])
    assert contains_answer("the ﬁle", ["file"])


def test_howto_prefers_code_named_after_what_is_asked() -> None:
    hits = [_hit("h#0", 6.0, "The `zip` tool packs files into one archive for a backup. "
                             "Use `split_archive()` to split an archive into parts.")]
    answer = build_answer(parse_question("How do I split an archive into parts?"), hits, _weight())
    assert "split_archive()" in answer.guess


def test_a_sentence_may_start_with_inline_code() -> None:
    from retrieval.text.sentences import split_sentences
    assert split_sentences("It is obscure. `who-knows`(1) tells you. Done.") == [
        "It is obscure.", "`who-knows`(1) tells you.", "Done."]


def test_a_value_in_the_next_sentence_of_the_paragraph() -> None:
    text = "retries (int) – How many times the client tries again when the server is busy. Default three times."
    hits = [_hit("p#0", 5.0, text), _hit("q#1", 4.0, "The server keeps 12 workers busy.")]
    answer = build_answer(parse_question("how many times does the client try again when the server is busy"),
                          hits, _weight())
    assert answer.guess == "three times"


def test_howto_sentence_pointing_back_at_code_gets_its_line() -> None:
    text = ("Here is an example:\n\n```\nfrom archive import pack, skip_patterns\n\n"
            "pack(src, dst, skip=skip_patterns('*.tmp'))\n```\n\nThis will pack everything except the .tmp files.")
    hits = [_hit("c#0", 5.0, text)]
    answer = build_answer(parse_question("How do I pack a folder but leave out the .tmp files?"), hits, _weight())
    assert "skip_patterns" in answer.guess and "This will pack everything" in answer.guess


def test_a_long_run_of_lines_is_read_line_by_line() -> None:
    from retrieval.answer.sentences import answer_spans
    rows = "\n".join(f"row{i} static files of kind {i}" for i in range(20))
    text = rows + "\nStatic and variable files are kept apart because static files can live on read-only media."
    spans = answer_spans(text)
    assert len(spans) == 21 and text[spans[-1][0]:spans[-1][1]].startswith("Static and variable")
    assert len(answer_spans("A short sentence\nwrapped over two lines.")) == 1  # short: one sentence as before


def test_when_inside_a_question_joins_a_clause() -> None:
    assert answer_type("a faster replacement for grep when scanning a tree") is None
    assert answer_type("the war ended when?") == DATE and answer_type("and when did it end") == DATE


def test_typo_correction_tries_a_bounded_number_of_words() -> None:
    calls: list[str] = []

    def df(term: str) -> int:
        calls.append(term)
        return 0

    correct_question(" ".join(["qwertzuiop"] * 50), df)
    assert len(calls) < 5 * 1000  # a few unknown words tried, not fifty


def test_who_wrote_searches_the_author_line() -> None:
    q = parse_question("Who wrote the packaging guide?")
    assert {"author", "written"} <= set(q.terms) and "author" in q.type_terms and not q.required
    assert "author" not in parse_question("When was the packaging guide written?").terms  # not a person question


def test_descriptive_questions_have_no_type() -> None:
    assert answer_type("What does the --dry-run option of rsync do?") is None
    assert answer_type("What is the zipfile module?") is None
    assert answer_type("What is the default value of the zipfile module's compression level?") == VALUE


def test_only_numbers_and_versions_count_as_missing_numbers() -> None:
    hit = _hit("v#0", 5.0, "Use the ipv6 flag of python3 tools to read utf8 text; release 9.2 changed it.")
    weight = _weight()
    signals = Signals.of(parse_question("Does python3 read utf8 over ipv6?"), [hit], hit, hit.text, weight, None)
    assert signals.number_missing == 0.0
    signals = Signals.of(parse_question("What changed in release 9.3?"), [hit], hit, hit.text, weight, None)
    assert signals.number_missing == 1.0


def test_mistyped_common_words_and_stems_that_lose_the_word() -> None:
    vocabulary = {"address": 4, "ad": 50, "debian": 9}
    df = lambda term: vocabulary.get(term, 0)  # noqa: E731
    assert correct_word("wich", df) == "which"  # a mistyped stopword is read as the stopword
    assert correct_word("adress", df) == "address"  # not "adness", whose stem "ad" every "add" shares
    assert correct_question("files via sshfs", df) == "files via sshfs"  # no vowel: a command, not a typo


def test_a_typo_is_never_read_as_another_servers_word(empty_corpus) -> None:
    empty_corpus.add_bytes(b"Kubernetes clusters run pods.", "k8s.txt", scope="server-a")
    empty_corpus.add_bytes(b"Kubernetes schedules pods on nodes.", "k8s-nodes.txt", scope="server-a")
    empty_corpus.add_bytes(b"Our wiki explains how the cluster backups run every night.", "wiki.txt",
                           scope="server-b")
    seen_by_b = empty_corpus.ask("how do kubrnetes clusters run", scope="server-b")
    assert seen_by_b.read_as is None and "kubernetes" not in str(render.to_json(seen_by_b)).lower()
    seen_by_a = empty_corpus.ask("how do kubrnetes clusters run", scope="server-a")
    assert seen_by_a.read_as == "how do kubernetes clusters run"


def test_snippets_stay_short_on_long_unbroken_sentences() -> None:
    from retrieval.answer.snippets import make_snippet
    text = " ".join(f"row{i} value" for i in range(400)) + "\nThe answer line holds the value 42."
    focus = (text.index("The answer"), len(text))
    assert len(make_snippet(text, focus, {"answer"}).text) < 400


def test_howto_code_line_when_the_passage_ends_inside_the_block() -> None:
    from retrieval.answer.sentences import Sentence, with_code
    text = "Run this:\n\n```\nmake install"
    hit = _hit("m#0", 1.0, text)
    assert with_code(Sentence(0, hit, 0, 9, 1.0), {"instal"}) == "Run this: make install"


def test_hexadecimal_numbers() -> None:
    assert "0 to 0x10FFFF" in _texts("Code points range from 0 to 0x10FFFF.", NUMBER)


def test_an_untyped_question_prefers_the_sections_opening_sentence() -> None:
    """Near a tie, the sentence that opens the section answers what its heading asks."""
    text = "You should put your personal name there. Other tools put a nickname into the log name field."
    hits = [_hit("f#0", 5.0, text, "Configuration \u203a What should I put in the name field?")]
    common_log = TermWeight(lambda term: 95 if term == "log" else 1, 100)  # "log" is in most passages
    answer = build_answer(parse_question("What should I put in the log name field?"), hits, common_log)
    assert answer.guess.startswith("You should put your personal name")


def test_a_bullet_takes_the_version_of_its_own_entry_not_a_closer_one() -> None:
    """An entry's lead names the version of every bullet under it, however long the bullet: a bullet that
    matches the question better wins over a shorter, weaker one whose entry is another version."""
    best = ("Tool 3.1 changes some defaults:\n\n* tool(1): Remove the legacy wire format (v1) support, "
            "the old configuration options (see tool.conf(5)) and their documentation.")
    weaker = "Tool 2.0 hardens things.\n\n* The legacy wire format is off by default."
    hits = [_hit("n#0", 6.0, best, "tool (3.1-1) unstable"), _hit("n#1", 5.0, weaker, "tool (2.0-1) unstable")]
    answer = build_answer(parse_question("Which Tool release removed legacy wire format support?"), hits, _weight())
    assert answer.guess == "3.1"


def test_a_glossary_entry_names_what_its_definition_describes() -> None:
    texts = _texts("courier: a person who carries parcels between the depots.", "name")
    assert "courier" in texts
    assert "The depot" not in _texts("The depot: opens at nine.", "name")  # not "a/the ..." after the colon
    hits = [_hit("g#0", 5.0, "Keeper: someone who stores the archives of the Guild.\n\n"
                             "courier: a person who carries parcels between the depots.")]
    question = parse_question("whats the name for someone who carries parcels between depots")
    assert build_answer(question, hits, _weight()).guess == "courier"


def test_contracted_question_words_are_read_as_spelled_out() -> None:
    question = parse_question("whats the name of the spell checker")
    assert "what" not in question.terms and question.text.startswith("whats")
    assert parse_question("whats the name for someone who repairs bikes").answer_type == "name"  # not "who"


def test_a_share_is_answered_by_a_percentage() -> None:
    assert fits_noun("95%", frozenset(tokenize("share"))) and not fits_noun("95", frozenset(tokenize("share")))
    hits = [_hit("s#0", 5.0, "Port 80 is the web. Mirrors serve at least 95% of the downloads on port 80.")]
    answer = build_answer(parse_question("what share of downloads do mirrors serve"), hits, _weight())
    assert answer.guess == "95%"


def test_a_bare_version_note_does_not_head_the_next_item() -> None:
    """"New in version 3.5." ends the item before; "Tool 3.5 changes:" heads the bullets after it."""
    from retrieval.answer.sentences import scored_sentences
    from retrieval.answer.short_answer import best_typed
    question = parse_question("Which Tool release removed the wire format?")

    def typed_score(lead: str) -> float:
        hits = [_hit("n#0", 5.0, f"{lead}\n\n* Remove the old wire format, its options (see tool.conf(5)) and docs.")]
        sentences = sorted(scored_sentences(question, hits, _weight()), key=lambda s: -s.score)
        typed = best_typed(sentences, question, _weight())
        assert typed is not None and typed.candidate.text == "3.5"
        return typed.score

    assert typed_score("Tool 3.5 changes some defaults:") > typed_score("New in version 3.5.")


def test_a_spelled_out_number_in_a_compound_is_no_value() -> None:
    assert "one" not in _texts("It takes a one-character string and a two-way pipe.", NUMBER)
    assert _texts("Wait for a 10-minute timeout, or one minute.", NUMBER) == ["10", "one minute"]  # digits stay


def test_bounds_said_in_other_words() -> None:
    from retrieval.answer.sentences import implied_terms
    assert set(tokenize("minimum")) <= implied_terms("It requires Lua 5.1 or newer.")
    assert set(tokenize("maximum")) <= implied_terms("Names are at most 32 characters long.")
    assert set(tokenize("highest lowest")) <= implied_terms("A level is in the range 0 to 7.")
    assert not implied_terms("It requires Lua 5.1.")
    # the version said to be a minimum beats one merely called a version
    hits = [_hit("r#0", 5.0, "Changed in version 5.4: the parser is faster.\n\nlua.version: the version of the module."),
            _hit("r#1", 4.0, "The module is small and requires Lua 5.1 or newer.")]
    answer = build_answer(parse_question("Which Lua version is the minimum the module requires?"), hits, _weight())
    assert answer.guess == "5.1"


def test_where_about_a_file_or_folder_is_answered_by_a_path_not_a_place() -> None:
    from retrieval.answer.question import PLACE, parse_question

    for question in ("Where does the Zephyr configuration file live?", "where are the log files written?",
                     "Where is the cache directory of apt?"):
        asked = parse_question(question)
        assert asked.answer_type == TECH, question
        assert fits_noun("/etc/zephyr/zephyr.toml", asked.type_terms) or not asked.type_terms & {"file", "directori"}
    for question in ("Where is Etna?", "where did the summit take place?", "Where is the data of the embassy?"):
        assert parse_question(question).answer_type == PLACE, question
    sentence = "The configuration file lives in /etc/zephyr/zephyr.toml and is read at start."
    assert "/etc/zephyr/zephyr.toml" in [c.text for c in candidates(sentence, TECH)]
