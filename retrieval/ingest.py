"""Files -> documents with passages and stored tokens -> the store; folder sync for `refresh`.

Everything is parsed and checked before the single write transaction, so a bad file leaves the
database exactly as it was.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .errors import BadDocument
from .files import EXTRACTION_VERSION, Heading, check_file, extract, supported_suffixes
from .models import Document, IngestReport, Passage
from .text.passages import split_passages
from .store import Store, utc_now
from .text.tokenize import TOKENIZER_VERSION, tokenize

log = logging.getLogger(__name__)
_WRITE_CHUNK = 200  # prepared documents looked up and written together
METADATA_FILE = "metadata.json"  # optional {file name: {"title": ..., "source": ...}} beside the documents


@dataclass(frozen=True)
class Prepared:
    """A parsed document ready to be written."""

    document: Document
    passages: list[Passage]
    tokens: list[str]


def slugify(name: str) -> str:
    """A file name's stem as an id: lowercase letters of any script, digits, "_" and "-" ("история")."""
    slug = re.sub(r"[^\w-]+", "-", Path(name).stem.casefold()).strip("-")
    return (slug or "document")[:60]


def make_doc_id(name: str, scope: str = "", distinct: bool = False) -> str:
    """`distinct`: the plain id is another file's ("report.txt" has it, "Report.md" asks), so the exact
    name's hash is added; the same name always gets the same id, so re-adding a file replaces it."""
    slug = slugify(name)
    if distinct:
        slug = f"{slug[:52]}-{hashlib.sha1(Path(name).name.encode('utf-8', 'surrogatepass')).hexdigest()[:7]}"
    return f"{scope}/{slug}" if scope else slug


class DocIds:
    """Ids that never collide silently: a file keeps the id its path or name already has; a new file whose
    plain id belongs to another file (a case-only or extension-only difference, or a name of symbols) gets
    the hashed one."""

    def __init__(self, store: Store, scope: str) -> None:
        self.owner: dict[str, str] = {}  # id -> what identifies its file: its path, or an upload's source
        self.by_path: dict[str, str] = {}
        for d in store.documents([scope]):
            self.owner[d.id] = d.path or d.source
            if d.path:
                self.by_path[d.path] = d.id
        self.scope = scope

    @staticmethod
    def for_upload(store: Store, scope: str, name: str) -> str:
        """for_file(name, its file name) for one upload, reading only the documents its id could be: a scope
        can hold a million documents (the operator's), and reading them all took seconds an upload."""
        key = Path(name).name  # never a stored path: those are absolute (read_file), so by_path cannot match it
        doc_id = make_doc_id(name, scope)
        existing = store.get_document(doc_id, with_text=False, missing_ok=True)
        if existing is not None and _another_file(existing.path or existing.source, key):
            return make_doc_id(name, scope, distinct=True)
        return doc_id

    def for_file(self, name: str, key: str) -> str:
        """`key`: what identifies the file: its absolute path, or an upload's file name (an upload's
        source is its name, maybe followed by " (added by ...)")."""
        if key in self.by_path:
            return self.by_path[key]
        doc_id = make_doc_id(name, self.scope)
        if _another_file(self.owner.get(doc_id, key), key):
            doc_id = make_doc_id(name, self.scope, distinct=True)
        self.owner[doc_id] = key
        self.by_path[key] = doc_id
        return doc_id


def _another_file(owner: str, key: str) -> bool:
    """Whether an id's owner (a path, or an upload's source: its name, maybe followed by " (added by ...)")
    is a file other than the one `key` identifies."""
    return owner != key and not owner.startswith(key + " (")


def _content_hash(data: bytes, title: str, settings: Settings) -> str:
    """Covers what shapes the passages, so a change of title or passage settings re-ingests too."""
    digest = hashlib.sha256()
    digest.update(f"{EXTRACTION_VERSION}:{settings.passage_words}:{settings.passage_overlap_sentences}:{title}\0"
                  .encode())
    digest.update(data)
    return digest.hexdigest()


def tokens_string(text: str) -> str:
    return " ".join(tokenize(text))


def prepare(data: bytes, name: str, settings: Settings, *, scope: str = "", title: str | None = None,
            source: str | None = None, path: str = "", doc_id: str | None = None) -> Prepared:
    """Bytes of a file -> a Document and its passages; raises BadDocument, touches nothing."""
    extracted = extract(data, name, settings.max_file_bytes)
    final_title = (title or extracted.title or Path(name).stem).strip()
    return prepare_text(doc_id or make_doc_id(name, scope), final_title, extracted.text, settings, scope=scope,
                        source=source or Path(name).name, path=path, content=data, headings=extracted.headings)


def prepare_text(doc_id: str, title: str, text: str, settings: Settings, *, scope: str = "", source: str = "",
                 path: str = "", content: bytes | None = None, headings: Sequence[Heading] = ()) -> Prepared:
    """Already-extracted text (a file's, or a record of a dataset) -> a Document and its passages."""
    now = utc_now()
    data = content if content is not None else text.encode("utf-8")
    document = Document(id=doc_id, title=title, source=source or doc_id, content_hash=_content_hash(data, title, settings),
                        added_at=now, updated_at=now, text=text, scope=scope, path=path)
    passages = split_passages(doc_id, text, settings.passage_words, settings.passage_overlap_sentences,
                              headings, title)
    if not passages:
        raise BadDocument(f"{source or doc_id}: no text could be extracted")
    return Prepared(document, passages, [tokens_string(p.text) for p in passages])


def _folder_metadata(folder: Path) -> dict[str, dict[str, str]]:
    meta_path = folder / METADATA_FILE
    if not meta_path.is_file():
        return {}
    try:
        data = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadDocument(f"{meta_path}: not valid JSON ({exc})") from None
    return data if isinstance(data, dict) else {}


def read_file(path: Path, settings: Settings, scope: str = "", metadata: dict | None = None,
              doc_id: str | None = None) -> Prepared:
    """Read and prepare one file from disk; every failure names the file."""
    if not path.exists():
        raise BadDocument(f"{path}: no such file")
    if not path.is_file():
        raise BadDocument(f"{path}: not a file")
    check_file(str(path), path.stat().st_size, settings.max_file_bytes)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadDocument(f"{path}: cannot be read ({exc.strerror})") from None
    meta = (metadata if metadata is not None else _folder_metadata(path.parent)).get(path.name, {})
    return prepare(data, str(path), settings, scope=scope, title=meta.get("title"),
                   source=meta.get("source") or path.name, path=str(path.resolve()), doc_id=doc_id)


def _store_meta() -> dict[str, str]:
    return {"tokenizer_version": TOKENIZER_VERSION}


def write(store: Store, prepared: Iterable[Prepared], removals: list[str] = ()) -> IngestReport:
    """Write what changed, in one transaction; unchanged documents are not touched. `prepared` may be
    a generator: it is consumed a chunk at a time inside the transaction, so a big folder never sits
    in memory whole, and an exception from it (a bad file) rolls everything back."""
    added: list[str] = []
    changed: list[str] = []
    unchanged: list[str] = []
    passages = 0

    def upserts() -> Iterator[tuple]:
        nonlocal passages
        items = iter(prepared)
        while chunk := list(itertools.islice(items, _WRITE_CHUNK)):
            stored = store.content_hashes([item.document.id for item in chunk])
            for item in chunk:
                existing = stored.get(item.document.id)
                if existing == item.document.content_hash:
                    unchanged.append(item.document.id)
                    continue
                (changed if existing is not None else added).append(item.document.id)
                passages += len(item.passages)
                yield item.document, item.passages, item.tokens

    pending = upserts()
    first = next(pending, None)
    if first is not None or removals:
        store.apply(itertools.chain([first] if first is not None else [], pending), removals, meta=_store_meta())
    return IngestReport(tuple(added), tuple(changed), tuple(removals), tuple(unchanged), passages)


def supported_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in supported_suffixes()))
        else:
            files.append(path)
    return files


def ingest_paths(store: Store, paths: list[Path], settings: Settings, scope: str = "") -> IngestReport:
    """All named files (folders are walked) or nothing: the first bad file aborts the whole ingest.

    Streams: each file is read, parsed and written inside the one transaction, then dropped, with a
    progress bar on a terminal; a bad file raises from inside the transaction, which rolls back."""
    files = supported_files(paths)
    if not files:
        raise BadDocument(f"no supported files found in {', '.join(map(str, paths))}")
    metadata: dict[Path, dict] = {}

    def prepared() -> Iterator[Prepared]:
        from tqdm import tqdm  # here, not at the top: a question never ingests, and tqdm costs ~20 ms of a start

        for path in tqdm(files, desc="ingest", unit="file", disable=None if len(files) > 20 else True, leave=False):
            if path.parent not in metadata:
                metadata.clear()  # one folder's metadata at a time
                metadata[path.parent] = _folder_metadata(path.parent)
            yield read_file(path, settings, scope, metadata[path.parent], ids.for_file(path.name, str(path.resolve())))

    ids = DocIds(store, scope)

    return write(store, prepared())


@dataclass(frozen=True)
class RefreshReport:
    report: IngestReport
    failed: tuple[str, ...] = ()  # one message per file that could not be read (its old version is kept)


def refresh_folder(store: Store, folder: Path, settings: Settings, scope: str = "") -> RefreshReport:
    """Re-sync a folder: new and changed files are (re)ingested, documents of deleted files removed.

    A file that fails to parse is reported and keeps its previous version; the rest lands atomically.
    """
    if not folder.is_dir():
        raise BadDocument(f"{folder}: no such folder")
    prepared, failed = [], []
    try:
        metadata = _folder_metadata(folder)
    except BadDocument as exc:  # the files are still read, with their own titles
        metadata = {}
        failed.append(str(exc))
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in supported_suffixes())
    present: set[str] = set()
    ids = DocIds(store, scope)
    for path in files:
        present.add(str(path.resolve()))
        try:
            prepared.append(read_file(path, settings, scope, metadata, ids.for_file(path.name, str(path.resolve()))))
        except BadDocument as exc:
            failed.append(str(exc))
        except Exception as exc:  # a parser's own failure (pypdf's LimitReachedError, ...): this file only
            log.warning("refresh: %s failed", path, exc_info=True)
            failed.append(f"{path.name}: could not be read ({type(exc).__name__})")
    removals = [d.id for d in store.documents_under(folder, scope) if d.path not in present]
    return RefreshReport(write(store, prepared, removals), tuple(failed))
