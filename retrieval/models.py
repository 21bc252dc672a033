"""Small frozen records passed between the stages; each renderer picks its own markup."""

from __future__ import annotations

from dataclasses import dataclass, field


ANSWERED, NOT_SURE, NOT_FOUND = "answered", "not_sure", "not_found"


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    source: str
    content_hash: str
    added_at: str
    updated_at: str
    text: str = ""
    scope: str = ""  # "" = bundled/global; otherwise the owner (e.g. a Discord server id)
    path: str = ""  # absolute path of the file it was read from, "" for uploads


@dataclass(frozen=True)
class Passage:
    id: str
    doc_id: str
    ordinal: int
    text: str
    start: int
    end: int
    heading: str = ""  # the section it sits in: "Chapter › Section" (the document title left out)


@dataclass(frozen=True)
class Hit:
    """One ranked passage: what `search` returns."""

    passage_id: str
    doc_id: str
    score: float
    text: str
    title: str
    source: str
    ordinal: int
    matched_terms: tuple[str, ...] = ()
    heading: str = ""


@dataclass(frozen=True)
class Snippet:
    """Text plus highlight spans (character offsets into `text`)."""

    text: str
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Citation:
    n: int
    hit: Hit
    snippet: Snippet


@dataclass(frozen=True)
class Answer:
    question: str
    found: bool
    short_answer: str | None
    sentence: str | None
    citations: tuple[Citation, ...] = field(default_factory=tuple)
    answer_type: str | None = None
    # The question as reworded with a synonym, when that rewording is what the corpus answered.
    read_as: str | None = None
    # ANSWERED (found), NOT_SURE (the best passage is shown, labelled as possibly not answering) or NOT_FOUND.
    confidence: str = ""
    # What the confidence was judged on (confidence.Signals), and what the answer would have been when it is
    # not given (not sure / not found): for fitting and checking the rule, not shown as an answer.
    signals: dict[str, float] | None = None
    guess: str | None = None

    def __post_init__(self) -> None:
        if not self.confidence:
            object.__setattr__(self, "confidence", ANSWERED if self.found else NOT_FOUND)

    @property
    def answer(self) -> str | None:
        """The short answer, else the best sentence; None when the corpus does not answer."""
        if not self.found:
            return None
        return self.short_answer or self.sentence


@dataclass(frozen=True)
class IngestReport:
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    passages: int = 0

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
                f"{len(self.unchanged)} unchanged")
