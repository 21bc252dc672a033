"""BM25 Okapi over passages, scored exactly as rank_bm25.BM25Okapi, touching only the query's postings.

An index snapshot (`BM25Index`) is one big immutable *base* segment, plus a small *delta* segment (the
passages added since the base was built) and a *deletion set* (base rows that are gone). A segment keeps
term postings in CSR arrays (term -> passage rows, term frequencies), passage lengths, scopes, each scope's
document frequencies and a forward index (row -> term ids, to count what a deletion takes away). N, avgdl
and every term's document frequency are taken over the *live* passages (a question asked within scopes:
the live passages in those scopes, retrieval.scope_stats), so scores stay rank-bm25's over exactly them;
a change makes a new snapshot without touching the base (`with_changes`), and `build` merges everything
back into one segment.

On disk: a folder with `header.json` (format, tokenizer version, store generation, the names of the
segment folders and deletion file it uses, and the size and CRC-32 of every file they hold) next to plain
.npy files, loaded by memory-mapping; never pickle. Files are written under fresh names and the header is
swapped in last, so a crash leaves the previous complete index. Loading checks every file against the
header, then every id and offset the scorers index with (the compiled kernel does no bounds checks), and
refuses the index (`CorruptIndex`) on any mismatch: a flipped byte means a rebuild, never a wrong answer or
a crash.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import json
import math
import mmap
import os
import shutil
import threading
import uuid
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .scope_stats import Part, ScopeCounts, ViewCache, Visible

# 4: per-scope document frequencies in every segment; 3: the header holds every file's size and CRC-32.
# An index of another format is rebuilt from the store.
FORMAT_VERSION = 4
HEADER = "header.json"
_SEGMENT_ARRAYS = ("indptr", "postings", "tfs", "doc_len", "scope_ids", "fwd_ptr", "fwd_tids", "fwd_tfs", "idf",
                   "scope_ptr", "scope_tids", "scope_dfs")
# The dtype every array is written with: another one (a flipped byte in an .npy header) is refused at load,
# as the kernel is compiled for these (and would read a float array's bytes as ids).
_DTYPES = {"indptr": np.int64, "postings": np.int32, "tfs": np.int32, "doc_len": np.int32, "scope_ids": np.int32,
           "fwd_ptr": np.int64, "fwd_tids": np.int32, "fwd_tfs": np.int32, "idf": np.float64, "weights": np.float64,
           "scope_ptr": np.int64, "scope_tids": np.int32, "scope_dfs": np.int32}
_SEGMENT_FILES = (*(f"{name}.npy" for name in _SEGMENT_ARRAYS), "passages.bin.npy", "passages.off.npy", "terms.txt",
                  "segment.json")  # weights.npy too, when the segment has weights
_CHECK_CHUNK = 1 << 22  # elements per step of the load-time checks: bounds their temporaries (16 MB at 1M rows)
_READ_CHUNK = 1 << 20  # bytes per read while checksumming
_BATCH_ROWS = 20_000  # rows per build batch: bounds the Python objects alive while building
_BLOCK_ROWS = 1 << 18  # rows scored together: a 2 MB float64 accumulator stays in the CPU caches
_PREFILTER = 64  # top-k: sample this many x k scores for a floor before the partial sort
_FEW_POSTINGS = 16  # below 1/16 of the rows touched, sorting the touched rows beats scanning a flag array


def _readonly(array: np.ndarray | None) -> np.ndarray | None:
    """A read-only view. Everything the compiled kernel reads is read-only, memory-mapped or built in
    memory alike, so numba compiles one specialization, once (warm_up), not another one on the first
    question after a document is added (a read-only array is another type to numba: 1.9 s at 1M)."""
    if array is None or not array.flags.writeable:
        return array
    view = array.view()
    view.flags.writeable = False
    return view


_NO_FLOATS, _NO_FLAGS = _readonly(np.zeros(0)), _readonly(np.zeros(0, dtype=bool))  # "no such array", for the kernel
_COMPILED_MIN_ROWS = 20_000  # smaller segments: numpy is fast enough, and numba's import is not paid


def _kernels():
    """retrieval.kernels (numba), imported on first need; None when numba is not installed."""
    global _KERNELS
    if _KERNELS is None:
        try:
            from . import kernels
        except ImportError:
            kernels = False
        _KERNELS = kernels
    return _KERNELS or None


_KERNELS = None


class CorruptIndex(ValueError):
    """A saved index whose files fail their checksums or whose contents are out of range: it is never
    scored from; the caller rebuilds from the store (a ValueError, as every other unusable index is)."""


class ScoredRow(NamedTuple):
    """A row slot and its score (a tuple: made a few per query, cheaply)."""

    row: int
    score: float


def doc_of_passage(passage_id: str) -> str:
    """`<doc_id>#<ordinal>` -> doc_id (retrieval.text.passages' id scheme)."""
    return passage_id.rsplit("#", 1)[0]


# ---------------------------------------------------------------------------------------------------
# strings stored as one blob: a million passage ids without a million str objects
# ---------------------------------------------------------------------------------------------------
class Strings(Sequence[str]):
    """UTF-8 blob + offsets; decoded on access, so loading is a memory-map, not a split."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self.blob, self.offsets = blob, offsets

    @classmethod
    def from_list(cls, items: Sequence[str]) -> "Strings":
        encoded = [s.encode("utf-8") for s in items]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return bytes(self.blob[self.offsets[i] : self.offsets[i + 1]]).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))

    def save(self, folder: Path, name: str) -> None:
        _save_array(folder / f"{name}.bin.npy", np.asarray(self.blob, dtype=np.uint8))
        _save_array(folder / f"{name}.off.npy", np.asarray(self.offsets, dtype=np.int64))

    @classmethod
    def load(cls, folder: Path, name: str) -> "Strings":
        return cls(_load_array(folder / f"{name}.bin.npy", np.uint8), _load_array(folder / f"{name}.off.npy", np.int64))

    def check(self) -> None:
        """Offsets from 0 to the blob's end, never decreasing, each at a character's start, and the blob
        valid UTF-8: every id decodes (a bad one would fail a question, not the load)."""
        off, blob = self.offsets, self.blob
        if len(off) < 1 or off[0] != 0 or off[-1] != len(blob) or not _non_decreasing(off):
            raise CorruptIndex("passage id offsets out of range")
        starts = off[:-1][off[:-1] < off[1:]]
        if len(starts) and np.any((blob[starts] & 0xC0) == 0x80):
            raise CorruptIndex("a passage id offset splits a character")
        try:
            memoryview(blob).tobytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CorruptIndex(f"passage ids are not UTF-8 ({exc.reason} at byte {exc.start})") from None


class _Rows(Sequence[str]):
    """Passage ids of a snapshot: the base's rows, then the delta's."""

    def __init__(self, base: Sequence[str], delta: Sequence[str]) -> None:
        self.base, self.delta, self.n_base = base, delta, len(base)

    def __len__(self) -> int:
        return self.n_base + len(self.delta)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        return self.base[i] if i < self.n_base else self.delta[i - self.n_base]


def _save_array(path: Path, array: np.ndarray) -> None:
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


def _load_array(path: Path, dtype) -> np.ndarray:
    """Memory-mapped and viewed as a plain ndarray (np.memmap slicing costs Python time per slice); a
    one-dimensional array of exactly `dtype` (native byte order) or CorruptIndex."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError:  # an empty array cannot be mapped
        array = np.load(path, allow_pickle=False)
    if not isinstance(array, np.ndarray) or array.ndim != 1 or array.dtype != np.dtype(dtype):
        raise CorruptIndex(f"{path.parent.name}/{path.name} is not a 1-d {np.dtype(dtype).name} array")
    return array.view(np.ndarray)


def _file_checksum(path: Path, buffer: memoryview | None = None) -> list[int]:
    """[size in bytes, CRC-32] of a file. zlib's CRC-32 runs at about 4 GB/s, 4x blake2b; the file is read,
    not mapped, so one truncated meanwhile is a mismatch rather than a SIGBUS."""
    buffer = buffer if buffer is not None else memoryview(bytearray(_READ_CHUNK))
    size = crc = 0
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buffer):
            crc = zlib.crc32(buffer[:n], crc)
            size += n
    return [size, crc]


def _verify_files(folder: Path, checksums: Mapping[str, Sequence[int]]) -> None:
    """Every listed file has the size and CRC-32 the header recorded; CorruptIndex names the first that does not."""
    buffer = memoryview(bytearray(_READ_CHUNK))
    for name, expected in checksums.items():
        path = folder / name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise CorruptIndex(f"{name} unreadable ({exc.strerror or exc})") from None
        if size != expected[0]:
            raise CorruptIndex(f"{name} is {size} bytes, the header says {expected[0]} (truncated or overwritten)")
        if _file_checksum(path, buffer) != [expected[0], expected[1]]:
            raise CorruptIndex(f"checksum mismatch in {name}")


def _plain_name(name: object) -> bool:
    """A file or folder name in the index folder itself: a header never points elsewhere."""
    return isinstance(name, str) and bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name


def _non_decreasing(a: np.ndarray) -> bool:
    """a[i] <= a[i + 1] throughout, a chunk at a time (no array-sized temporary)."""
    for lo in range(0, max(0, len(a) - 1), _CHECK_CHUNK):
        hi = min(len(a) - 1, lo + _CHECK_CHUNK)
        if not np.all(a[lo:hi] <= a[lo + 1 : hi + 1]):
            return False
    return True


def _in_range(a: np.ndarray, lo: int, hi: int) -> bool:
    """lo <= every element < hi (True for an empty array)."""
    return not len(a) or (int(a.min()) >= lo and int(a.max()) < hi)


# ---------------------------------------------------------------------------------------------------
# one segment
# ---------------------------------------------------------------------------------------------------
class Segment:
    """Immutable postings of some passages. `idf` and `weights` are for the segment on its own; `scope_ptr`,
    `scope_tids` and `scope_dfs` are each scope's document frequencies (retrieval.scope_stats)."""

    def __init__(self, *, passage_ids: Sequence[str], scopes: list[str], vocab: dict[str, int],
                 indptr: np.ndarray, postings: np.ndarray, tfs: np.ndarray, doc_len: np.ndarray,
                 scope_ids: np.ndarray, fwd_ptr: np.ndarray, fwd_tids: np.ndarray, fwd_tfs: np.ndarray,
                 idf: np.ndarray, scope_ptr: np.ndarray, scope_tids: np.ndarray, scope_dfs: np.ndarray,
                 weights: np.ndarray | None, doc_sorted: bool, name: str | None = None,
                 scope_counts: ScopeCounts | None = None) -> None:
        self.passage_ids, self.scopes, self.vocab = passage_ids, scopes, vocab
        self.indptr, self.postings, self.tfs = _readonly(indptr), _readonly(postings), _readonly(tfs)
        self.doc_len, self.scope_ids = _readonly(doc_len), _readonly(scope_ids)
        self.fwd_ptr, self.fwd_tids, self.fwd_tfs = fwd_ptr, fwd_tids, fwd_tfs
        self.idf, self.weights = _readonly(idf), _readonly(weights)
        self.scope_ptr, self.scope_tids, self.scope_dfs = scope_ptr, scope_tids, scope_dfs
        self._scope_counts = scope_counts  # counted when first needed: after `check`, for a loaded segment
        self._longest: int | None = None
        self.doc_sorted = doc_sorted  # rows grouped by document in id order: rows_of_doc can bisect
        self.name = name  # the folder it lives in, once saved
        self.checksums: dict[str, list[int]] | None = None  # file -> [size, CRC-32], once saved or verified
        self.df = np.diff(np.asarray(indptr, dtype=np.int64)) if len(indptr) else np.zeros(0, dtype=np.int64)
        self.total_len = int(np.asarray(doc_len, dtype=np.int64).sum())
        self._doc_rows: dict[str, list[int]] | None = None

    def __len__(self) -> int:
        return len(self.passage_ids)

    @property
    def avgdl(self) -> float:
        return self.total_len / len(self) if len(self) else 0.0

    @property
    def longest(self) -> int:
        """The most tokens a passage of this segment has."""
        if self._longest is None:
            self._longest = int(self.doc_len.max()) if len(self.doc_len) else 0
        return self._longest

    @property
    def scope_counts(self) -> ScopeCounts:
        """Passages, total length and document frequencies per scope."""
        if self._scope_counts is None:
            self._scope_counts = ScopeCounts.of_segment(self.scope_ids, len(self.scopes), self.doc_len,
                                                        self.scope_ptr, self.scope_tids, self.scope_dfs)
        return self._scope_counts

    # -- building -----------------------------------------------------------------------------------
    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, Sequence[str]]], *, k1: float, b: float, epsilon: float,
              with_weights: bool = True, batch: int = _BATCH_ROWS) -> "Segment":
        """rows: (passage_id, scope, tokens), streamed: a batch at a time becomes numpy arrays."""
        gc_was_on = gc.isenabled()
        gc.disable()  # builds no cycles; collections would rescan every live token list, over and over
        try:
            return cls._build(rows, k1=k1, b=b, epsilon=epsilon, with_weights=with_weights, batch=batch)
        finally:
            if gc_was_on:
                gc.enable()

    @classmethod
    def _build(cls, rows: Iterable[tuple[str, str, Sequence[str]]], *, k1: float, b: float, epsilon: float,
               with_weights: bool, batch: int) -> "Segment":
        pids: list[str] = []
        scope_names: dict[str, int] = {}
        vocab: dict[str, int] = {}
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # (row nnz, tids, tfs, lens)
        scope_parts: list[np.ndarray] = []
        doc_sorted, last_doc = True, ""
        it = iter(rows)
        while chunk := list(itertools.islice(it, batch)):
            chunk_pids = [r[0] for r in chunk]
            pids.extend(chunk_pids)
            scope_ids = np.array([scope_names.setdefault(r[1], len(scope_names)) for r in chunk], dtype=np.int32)
            token_lists = [r[2] for r in chunk]
            del chunk
            if doc_sorted:
                docs = [last_doc] + [p.rpartition("#")[0] if "#" in p else p for p in chunk_pids]
                doc_sorted = all(a <= b for a, b in zip(docs, docs[1:]))
                last_doc = docs[-1]
            parts.append(_count_batch(token_lists, vocab))
            scope_parts.append(scope_ids)
        row_nnz = _cat([p[0] for p in parts], np.int64)
        fwd_tids = _cat([p[1] for p in parts], np.int32)
        fwd_tfs = _cat([p[2] for p in parts], np.int32)
        doc_len = _cat([p[3] for p in parts], np.int32)
        del parts
        fwd_ptr = np.zeros(len(row_nnz) + 1, dtype=np.int64)
        np.cumsum(row_nnz, out=fwd_ptr[1:])
        indptr, postings, tfs = _invert(fwd_tids, fwd_tfs, row_nnz, len(vocab))
        idf = rank_bm25_idf(np.diff(indptr), len(pids), epsilon)
        scope_ids = _cat(scope_parts, np.int32)
        counts = ScopeCounts.count(scope_ids, len(scope_names), doc_len, fwd_ptr, fwd_tids, np.diff(indptr))
        weights = None
        if with_weights and len(postings):
            avgdl = float(doc_len.sum(dtype=np.int64)) / len(doc_len)
            weights = _weights(indptr, postings, tfs, _norm(doc_len, k1, b, avgdl), idf, k1)
        return cls(passage_ids=Strings.from_list(pids), scopes=list(scope_names), vocab=vocab, indptr=indptr,
                   postings=postings, tfs=tfs, doc_len=doc_len, scope_ids=scope_ids,
                   fwd_ptr=fwd_ptr, fwd_tids=fwd_tids, fwd_tfs=fwd_tfs, idf=idf, scope_ptr=counts.ptr,
                   scope_tids=counts.tids, scope_dfs=counts.dfs, weights=weights, doc_sorted=doc_sorted,
                   scope_counts=counts)

    # -- documents and token bags -------------------------------------------------------------------
    def rows_of_docs(self, doc_ids: Iterable[str]) -> list[int]:
        """Rows of these documents' passages: a bisection when rows are grouped by document."""
        out: list[int] = []
        for doc in doc_ids:
            if self.doc_sorted:
                lo = bisect.bisect_left(self.passage_ids, doc, key=doc_of_passage)
                hi = bisect.bisect_right(self.passage_ids, doc, lo=lo, key=doc_of_passage)
                out.extend(range(lo, hi))
            else:
                if self._doc_rows is None:
                    self._doc_rows = {}
                    for row, pid in enumerate(self.passage_ids):
                        self._doc_rows.setdefault(doc_of_passage(pid), []).append(row)
                out.extend(self._doc_rows.get(doc, ()))
        return out

    def term_counts(self, rows: np.ndarray) -> np.ndarray:
        """How many of these rows contain each term (the df they take away when deleted)."""
        if not len(rows):
            return np.zeros(len(self.vocab), dtype=np.int64)
        idx = _ranges(self.fwd_ptr[rows], self.fwd_ptr[rows + 1])
        return np.bincount(self.fwd_tids[idx], minlength=len(self.vocab))

    def bags(self, rows: Iterable[int]) -> Iterator[tuple[str, str, list[str]]]:
        """(passage_id, scope, tokens) of rows, tokens as a bag (term repeated tf times: all BM25 needs)."""
        terms = self.terms()
        for row in rows:
            lo, hi = int(self.fwd_ptr[row]), int(self.fwd_ptr[row + 1])
            pairs = zip(self.fwd_tids[lo:hi].tolist(), self.fwd_tfs[lo:hi].tolist())
            tokens = [terms[t] for t, tf in pairs for _ in range(tf)]
            yield self.passage_ids[row], self.scopes[int(self.scope_ids[row])], tokens

    def terms(self) -> list[str]:
        return sorted(self.vocab, key=self.vocab.__getitem__)

    # -- persistence --------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        for name in _SEGMENT_ARRAYS:
            _save_array(folder / f"{name}.npy", getattr(self, name))
        if self.weights is not None:
            _save_array(folder / "weights.npy", self.weights)
        ids = self.passage_ids if isinstance(self.passage_ids, Strings) else Strings.from_list(self.passage_ids)
        ids.save(folder, "passages")
        (folder / "terms.txt").write_text("\n".join(self.terms()), encoding="utf-8")
        meta = {"scopes": self.scopes, "passages": len(self), "terms": len(self.vocab), "doc_sorted": self.doc_sorted}
        (folder / "segment.json").write_text(json.dumps(meta), encoding="utf-8")
        self.name = folder.name

    @classmethod
    def load(cls, folder: Path, files: Mapping[str, list[int]] | None = None) -> "Segment":
        """The segment in `folder`, its contents checked (`check`). files: the files the header vouches for
        (name -> [size, CRC-32], already verified); only those are read, and weights only when listed."""
        if files is not None and (missing := [f for f in _SEGMENT_FILES if f not in files]):
            raise CorruptIndex(f"{folder.name}/{missing[0]} has no checksum in the header")
        meta = json.loads((folder / "segment.json").read_text(encoding="utf-8"))
        if not (isinstance(meta, dict) and isinstance(meta.get("scopes"), list)
                and all(isinstance(s, str) for s in meta["scopes"]) and isinstance(meta.get("doc_sorted"), bool)):
            raise CorruptIndex(f"{folder.name}/segment.json is malformed")
        arrays = {name: _load_array(folder / f"{name}.npy", _DTYPES[name]) for name in _SEGMENT_ARRAYS}
        has_weights = "weights.npy" in files if files is not None else (folder / "weights.npy").exists()
        weights = _load_array(folder / "weights.npy", _DTYPES["weights"]) if has_weights else None
        terms = (folder / "terms.txt").read_text(encoding="utf-8")
        vocab = {t: i for i, t in enumerate(terms.split("\n"))} if terms else {}
        passage_ids = Strings.load(folder, "passages")
        if (len(passage_ids) != meta.get("passages") or len(vocab) != meta.get("terms")
                or len(vocab) + 1 != len(arrays["indptr"])):
            raise CorruptIndex(f"segment {folder.name} is inconsistent (passages, terms and arrays disagree)")
        segment = cls(passage_ids=passage_ids, scopes=meta["scopes"], vocab=vocab, weights=weights,
                      doc_sorted=meta["doc_sorted"], name=folder.name, **arrays)
        try:
            segment.check()
        except CorruptIndex as exc:
            raise CorruptIndex(f"{folder.name}: {exc}") from None
        for array in (*arrays.values(), weights, passage_ids.blob, passage_ids.offsets):
            _unmap_pages(array)
        segment.checksums = dict(files) if files is not None else None
        return segment

    def check(self) -> None:
        """CorruptIndex unless every id and offset the scorers index with is in range, as `build` makes
        them: the compiled kernel does no bounds checks, so a row id past the end is a write into another
        array, not an IndexError. Bounds and order only (whether the forward index counts what the postings
        count is not checked: that costs a bincount, and checksums catch accidents). Vectorised, about
        50 ms at 1M passages, and run at every load: a checksum says the bytes are the ones written (by
        whoever wrote the header too), this says the scorers can use them without reading out of bounds."""
        n, n_terms, n_post = len(self), len(self.vocab), len(self.postings)
        if isinstance(self.passage_ids, Strings):
            self.passage_ids.check()
        indptr, postings, df = self.indptr, self.postings, self.df
        # CSR by term: offsets from 0 to the postings' end, each term's rows distinct and ascending in
        # [0, n). Distinct matters to the kernel: its touched list has one slot per row.
        if len(indptr) != n_terms + 1 or indptr[0] != 0 or indptr[-1] != n_post or (len(df) and df.min() < 0):
            raise CorruptIndex("term offsets (indptr) out of range")
        if len(self.tfs) != n_post or (self.weights is not None and len(self.weights) != n_post):
            raise CorruptIndex("postings, tfs and weights differ in length")
        if not _in_range(postings, 0, n):
            raise CorruptIndex("a posting's row id is out of range")
        if not _rows_ascending(postings, indptr):
            raise CorruptIndex("a term's row ids are not strictly ascending")
        if not _in_range(self.tfs, 1, 1 << 31):
            raise CorruptIndex("a term frequency is below 1")
        # Per row: lengths, scopes and the forward index (row -> terms, read when rows are deleted).
        if len(self.doc_len) != n or not _in_range(self.doc_len, 0, 1 << 31):
            raise CorruptIndex("passage lengths out of range")
        if len(self.scope_ids) != n or not _in_range(self.scope_ids, 0, len(self.scopes)):
            raise CorruptIndex("a scope id is out of range")
        fwd_ptr, fwd_tids = self.fwd_ptr, self.fwd_tids
        if (len(fwd_ptr) != n + 1 or fwd_ptr[0] != 0 or fwd_ptr[-1] != len(fwd_tids)
                or len(self.fwd_tfs) != len(fwd_tids) or not _non_decreasing(fwd_ptr)):
            raise CorruptIndex("forward index offsets out of range")
        if not _in_range(fwd_tids, 0, n_terms):
            raise CorruptIndex("a forward term id is out of range")
        if not _in_range(self.fwd_tfs, 1, 1 << 31):
            raise CorruptIndex("a forward term frequency is below 1")
        # Scores: every IDF a number, and a term of positive IDF only positive weights (the kernel takes a
        # row's 0.0 for "not touched yet" on such terms).
        if len(self.idf) != n_terms or not np.all(np.isfinite(self.idf)):
            raise CorruptIndex("IDF values out of range")
        if self.weights is not None and n_post:
            positive = np.repeat(self.idf > 0, df)
            for lo in range(0, n_post, _CHECK_CHUNK):
                hi = min(n_post, lo + _CHECK_CHUNK)
                if np.any(positive[lo:hi] & ~(self.weights[lo:hi] > 0)):
                    raise CorruptIndex("a posting weight is not positive where its term's IDF is")
        # Per-scope statistics (scoped questions' IDFs): in range and adding up to the postings' df.
        problem = self.scope_counts.problem(n_terms, df)
        if problem:
            raise CorruptIndex(problem)


def _unmap_pages(array: np.ndarray | None) -> None:
    """Drop a memory-mapped array's pages from this process (they stay in the page cache, and come back
    on the next read): `check` reads every posting once, which would otherwise leave the whole index
    resident (RSS 73 -> 471 MB after loading 1M passages), where only the postings questions touch were."""
    base = array
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
    if isinstance(base, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        base.madvise(mmap.MADV_DONTNEED)


def _rows_ascending(postings: np.ndarray, indptr: np.ndarray) -> bool:
    """Within each term (indptr's slices), row ids strictly ascending; a chunk at a time."""
    n = len(postings)
    starts = indptr[1:-1]  # where a term's postings begin: the one place a row id may go down
    for lo in range(0, max(0, n - 1), _CHECK_CHUNK):
        hi = min(n - 1, lo + _CHECK_CHUNK)
        ok = postings[lo + 1 : hi + 1] > postings[lo:hi]
        a, z = np.searchsorted(starts, lo + 1), np.searchsorted(starts, hi, side="right")
        ok[starts[a:z] - 1 - lo] = True
        if not ok.all():
            return False
    return True


def _norm(doc_len: np.ndarray, k1: float, b: float, avgdl: float) -> np.ndarray:
    """rank-bm25's length part per row, k1 x (1 - b + b x dl / avgdl), in its order of operations."""
    return k1 * (1 - b + b * np.asarray(doc_len) / avgdl)


class _LengthNorm:
    """_norm at a scope set's avgdl, for the rows asked for: an array per row and scope set would cost a
    float per passage for every server asking."""

    __slots__ = ("doc_len", "view")

    def __init__(self, doc_len: np.ndarray, view: Visible) -> None:
        self.doc_len, self.view = doc_len, view

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        return _norm(self.doc_len[rows], self.view.k1, self.view.b, self.view.avgdl)


def _weights(indptr, postings, tfs, norm, idf, k1: float, stop: threading.Event | None = None,
             chunk: int = 1 << 20) -> np.ndarray | None:
    """idf x rank-bm25's tf part per posting (the same operations in the same order, so the same
    floats as rank-bm25 and the kernel), computed a chunk at a time to bound the temporaries;
    None when `stop` is set before the end."""
    out = np.empty(len(postings))
    for a in range(0, len(postings), chunk):
        if stop is not None and stop.is_set():
            return None
        z = min(len(postings), a + chunk)
        term = np.searchsorted(indptr, np.arange(a, z), side="right") - 1
        tf = tfs[a:z]
        out[a:z] = idf[term] * (tf * (k1 + 1) / (tf + norm[postings[a:z]]))
    return out


def _cat(arrays: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype=dtype)


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Concatenated aranges lo[i]:hi[i], vectorized."""
    lens = (hi - lo).astype(np.int64)
    if not lens.sum():
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    return starts + np.arange(int(lens.sum()), dtype=np.int64)


def _count_batch(token_lists: list[Sequence[str]], vocab: dict[str, int]):
    """Token lists -> per row (distinct terms, term ids sorted, their tfs, length), as numpy arrays.
    New terms get ids in first-seen order, so the same rows always give the same ids."""
    lens = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    flat = list(itertools.chain.from_iterable(token_lists))
    for term in dict.fromkeys(flat):
        if term not in vocab:
            vocab[term] = len(vocab)
    tids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    del flat
    rows = np.repeat(np.arange(len(token_lists), dtype=np.int64), lens)
    keys = np.sort((rows << 32) | tids)  # sort, not np.unique: numpy >= 2.3 hashes integers, much slower here
    if len(keys):
        first = np.empty(len(keys), dtype=bool)
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        tfs = np.diff(np.append(starts, len(keys)))
        ukeys = keys[starts]
    else:
        tfs = ukeys = np.zeros(0, dtype=np.int64)
    row_nnz = np.bincount(ukeys >> 32, minlength=len(token_lists))
    return row_nnz, (ukeys & 0xFFFFFFFF).astype(np.int32), tfs.astype(np.int32), lens.astype(np.int32)


def _invert(fwd_tids: np.ndarray, fwd_tfs: np.ndarray, row_nnz: np.ndarray, n_terms: int):
    """Forward (row-major) entries -> CSR by term, rows ascending within a term. A stable argsort by
    term, done as one sort of (term << 32 | entry) keys: several times faster than argsort(stable)."""
    n = len(fwd_tids)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(fwd_tids, minlength=n_terms), out=indptr[1:])
    if n >= 1 << 32:
        order = np.argsort(fwd_tids, kind="stable")
    else:
        order = fwd_tids.astype(np.int64)
        order <<= 32
        order |= np.arange(n, dtype=np.int64)
        order.sort()
        order &= 0xFFFFFFFF  # in place: the sorted keys become the permutation
    entry_rows = np.repeat(np.arange(len(row_nnz), dtype=np.int32), row_nnz)
    return indptr, entry_rows[order], fwd_tfs[order]


# ---------------------------------------------------------------------------------------------------
# a snapshot: base + delta - deletions, with live statistics
# ---------------------------------------------------------------------------------------------------
class _LiveVocab(Mapping[str, int]):
    """Terms present in at least one live passage -> a snapshot-wide term id."""

    def __init__(self, index: "BM25Index") -> None:
        self._ix = index

    def __getitem__(self, term: str) -> int:
        tid = self._ix._term_id(term)
        if tid is None:
            raise KeyError(term)
        return tid

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self._ix._term_id(term) is not None

    def __len__(self) -> int:
        return self._ix._live_terms

    def __iter__(self) -> Iterator[str]:
        return (t for t in itertools.chain(self._ix.base.vocab, self._ix._delta_only) if t in self)


class BM25Index:
    """An immutable snapshot; `build` one, `with_changes` for the next, `save` / `load` to persist."""

    compiled = True  # score with the numba kernel when numba is installed; False: the numpy path (tests compare)
    compiled_min_rows = _COMPILED_MIN_ROWS

    def __init__(self, base: Segment, *, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25,
                 header: dict | None = None, delta: Segment | None = None, deleted: np.ndarray | None = None) -> None:
        self.base, self.k1, self.b, self.epsilon = base, k1, b, epsilon
        self.delta = delta if delta is not None and len(delta) else None
        self.deleted = np.unique(np.asarray(deleted, dtype=np.int64)) if deleted is not None and len(deleted) else None
        self.header = dict(header or {})
        # The kernel counts a row as touched when its score leaves 0.0, so it needs every contribution of a
        # positive-IDF term to be positive: tf + k1 x (1 - b + b x dl / avgdl) > 0, true for k1 >= 0 and
        # 0 <= b <= 1. Other values (rank-bm25 accepts them) are scored by the numpy path.
        self._kernel_safe = math.isfinite(k1) and k1 >= 0 and 0 <= b <= 1
        self._local = threading.local()
        self._views = ViewCache()
        self._live_stats()

    # -- live statistics ----------------------------------------------------------------------------
    def _live_stats(self) -> None:
        base, delta, k1, b = self.base, self.delta, self.k1, self.b
        nb = len(base)
        df = base.df.copy()
        total, n = base.total_len, nb
        self._dead: np.ndarray | None = None
        self._deleted_counts: ScopeCounts | None = None
        if self.deleted is not None:
            self._dead = np.zeros(nb, dtype=bool)
            self._dead[self.deleted] = True
            gone = base.term_counts(self.deleted)
            df -= gone
            total -= int(np.asarray(base.doc_len)[self.deleted].sum(dtype=np.int64))
            n -= len(self.deleted)
            # What the deleted rows take from each scope, for questions asked within scopes.
            self._deleted_counts = ScopeCounts.count(base.scope_ids, len(base.scopes), base.doc_len, base.fwd_ptr,
                                                     base.fwd_tids, gone, rows=self.deleted)
        self._delta_only: dict[str, int] = {}
        self._delta_ids: np.ndarray | None = None  # delta term id -> snapshot term id (base ids, then the delta's)
        delta_df_only = np.zeros(0, dtype=np.int64)
        if delta is not None:
            in_base = np.array([base.vocab.get(t, -1) for t in delta.terms()], dtype=np.int64)
            shared = in_base >= 0
            self._delta_ids = np.where(shared, in_base, len(base.vocab) + np.arange(len(in_base), dtype=np.int64))
            np.add.at(df, in_base[shared], delta.df[shared])
            self._delta_only = {t: i for t, i in delta.vocab.items() if not shared[i]}  # ascending ids
            delta_df_only = delta.df[~shared]
            total += delta.total_len
            n += len(delta)
        self.n_live, self.total_len = n, total
        self.avgdl = total / n if n else 0.0
        self._df_base, self._df_delta_only = df, delta_df_only
        pristine = delta is None and self.deleted is None
        if pristine:
            self._idf_base, idf_only = np.asarray(base.idf), np.zeros(0)
            live_terms = len(base.vocab)
        else:
            alive = df > 0
            live_df = np.concatenate([df[alive], delta_df_only])
            idf = rank_bm25_idf(live_df, n, self.epsilon)
            self._idf_base = np.zeros(len(df))
            self._idf_base[alive] = idf[: int(alive.sum())]
            idf_only = idf[int(alive.sum()):]
            live_terms = len(live_df)
        self._live_terms = live_terms
        self._idf_delta = np.zeros(0)
        if delta is not None:
            self._idf_delta = np.empty(len(delta.vocab))
            for t, i in delta.vocab.items():
                j = base.vocab.get(t)
                self._idf_delta[i] = self._idf_base[j] if j is not None else 0.0
            self._idf_delta[np.flatnonzero(~shared)] = idf_only
        # Base weights hold idf x tf-part at the base's own statistics: valid while nothing changed.
        self._base_weights = base.weights if pristine else None
        self._norm_base = None if self._base_weights is not None else (
            _norm(base.doc_len, k1, b, self.avgdl) if nb and self.avgdl else np.zeros(nb))
        self._norm_delta = _norm(delta.doc_len, k1, b, self.avgdl) if delta is not None else None
        self.scopes = list(dict.fromkeys(base.scopes + (delta.scopes if delta is not None else [])))
        for name in ("_dead", "_idf_base", "_idf_delta", "_base_weights", "_norm_base", "_norm_delta"):
            setattr(self, name, _readonly(getattr(self, name)))

    def _term_id(self, term: str) -> int | None:
        tid = self.base.vocab.get(term)
        if tid is not None:
            return tid if self._df_base[tid] > 0 else None
        j = self._delta_only.get(term)
        return None if j is None else len(self.base.vocab) + j

    # -- the public face callers use ----------------------------------------------------------------
    def __len__(self) -> int:
        return self.n_live

    @property
    def n_rows(self) -> int:
        """Row slots: the base's rows then the delta's; deleted rows keep their slot but never score."""
        return len(self.base) + (len(self.delta) if self.delta is not None else 0)

    @property
    def passage_ids(self) -> Sequence[str]:
        return self.base.passage_ids if self.delta is None else _Rows(self.base.passage_ids, self.delta.passage_ids)

    @property
    def vocab(self) -> Mapping[str, int]:
        return self.base.vocab if self.delta is None and self.deleted is None else _LiveVocab(self)

    def live_rows(self) -> np.ndarray:
        rows = np.arange(self.n_rows)
        return rows if self._dead is None else rows[np.concatenate([~self._dead, np.ones(self.n_rows - len(self.base), bool)])]

    def visible(self, scopes: Iterable[str]) -> Visible:
        """The statistics of the live passages in these scopes alone (N, avgdl, df, IDF): what a question
        asked there is scored with. Made once per scope set and snapshot."""
        key = frozenset(scopes)
        return self._views.get(key, lambda: self._view(key))

    def _view(self, scopes: frozenset[str]) -> Visible:
        base, delta = self.base, self.delta
        in_base = [i for i, name in enumerate(base.scopes) if name in scopes]
        parts = [Part(base.scope_counts, base.vocab, in_base, None, 1)]
        if self._deleted_counts is not None:
            parts.append(Part(self._deleted_counts, base.vocab, in_base, None, -1))
        n_terms, longest = len(base.vocab), base.longest
        if delta is not None:
            in_delta = [i for i, name in enumerate(delta.scopes) if name in scopes]
            parts.append(Part(delta.scope_counts, delta.vocab, in_delta, self._delta_ids, 1))
            n_terms, longest = n_terms + len(delta.vocab), max(longest, delta.longest)
        return Visible(parts, n_terms, k1=self.k1, b=self.b, epsilon=self.epsilon, longest=longest)

    def doc_freq(self, term: str, scopes: Iterable[str] | None = None) -> int:
        """Live passages containing the term (only those in `scopes`, when given)."""
        if scopes is not None:
            return self.visible(scopes).doc_freq(term)
        tid = self.base.vocab.get(term)
        if tid is not None:
            return int(self._df_base[tid])
        j = self._delta_only.get(term)
        return 0 if j is None or self.delta is None else int(self.delta.df[j])

    def term_idf(self, term: str, scopes: Iterable[str] | None = None) -> float | None:
        if scopes is not None:
            return self.visible(scopes).idf(term)
        tid = self.base.vocab.get(term)
        if tid is not None and self._df_base[tid] > 0:
            return float(self._idf_base[tid])
        j = self._delta_only.get(term)
        return None if j is None else float(self._idf_delta[j])

    def max_idf(self) -> float:
        """The IDF an unseen term would have: what a question term missing from the corpus is worth."""
        n = len(self)
        return math.log(n + 0.5) - math.log(0.5) if n else 0.0

    @property
    def stats(self) -> dict[str, int]:
        return {"base_passages": len(self.base), "delta_passages": len(self.delta) if self.delta is not None else 0,
                "deleted_passages": len(self.deleted) if self.deleted is not None else 0}

    # -- scoring ------------------------------------------------------------------------------------
    def _segments(self):
        """(segment, row offset, idf per term, weights or None, norm per row, dead mask or None)."""
        yield self.base, 0, self._idf_base, self._base_weights, self._norm_base, self._dead
        if self.delta is not None:
            yield self.delta, len(self.base), self._idf_delta, None, self._norm_delta, None

    def _scoped_segments(self, view: Visible, query_tokens: Sequence[str]):
        """_segments at a scope set's own statistics: per segment, the IDF (by segment term id) of each
        query term some visible passage has, no precomputed weights (they hold the whole index's
        statistics), and each row's length part computed when needed from the set's avgdl."""
        idfs = view.idfs(query_tokens)
        for seg, offset, _, _, _, dead in self._segments():
            idf = {tid: value for term, value in idfs.items() if (tid := seg.vocab.get(term)) is not None}
            yield seg, offset, idf, None, _LengthNorm(seg.doc_len, view), dead

    def _contributions(self, seg: Segment, idf, weights, norm, tid: int):
        lo, hi = int(seg.indptr[tid]), int(seg.indptr[tid + 1])
        rows = seg.postings[lo:hi]
        if weights is not None:
            return rows, weights[lo:hi]
        tf = seg.tfs[lo:hi]
        # rank-bm25's expression, operation for operation, so the floats come out the same.
        return rows, idf[tid] * (tf * (self.k1 + 1) / (tf + norm[rows]))

    def scores(self, query_tokens: Sequence[str], scopes: Iterable[str] | None = None) -> np.ndarray:
        """Dense scores for every row slot: rank_bm25.BM25Okapi.get_scores over the live passages (in
        `scopes`, when given; other rows and deleted rows score 0), for tests and oracles."""
        out = np.zeros(self.n_rows)
        allowed = None if scopes is None else frozenset(scopes)
        if allowed is None:
            segments = self._segments()
        else:
            view = self.visible(allowed)
            segments = self._scoped_segments(view, query_tokens) if view.total_len else ()
        for seg, offset, idf, weights, norm, dead in segments:
            part = out[offset : offset + len(seg)]
            for term in query_tokens:
                tid = seg.vocab.get(term)
                if tid is not None and (allowed is None or tid in idf):
                    rows, contrib = self._contributions(seg, idf, weights, norm, tid)
                    part[rows] += contrib
            if dead is not None:
                part[dead] = 0.0
            if allowed is not None:
                part[~np.array([name in allowed for name in seg.scopes] + [False], dtype=bool)[seg.scope_ids]] = 0.0
        return out

    def _scratch(self, size: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-thread accumulator and flags (one block long), cleared where touched after each block,
        never reallocated."""
        key = f"s{offset}"
        pair = getattr(self._local, key, None)
        if pair is None or len(pair[0]) != size:
            pair = (np.zeros(size), np.zeros(size, dtype=bool))
            setattr(self._local, key, pair)
        return pair

    def _segment_candidates(self, seg, offset, idf, weights, norm, dead, tids: list[int], allowed, k: int):
        """Rows of the segment that may be in the top k, their exact scores, and whether they come
        ranked (best first, ties to the lower row).

        Scored a block of rows at a time: each term's postings are cut at the block edges (they are
        sorted by row), so the accumulator of one block stays in cache instead of a random walk over
        8 MB at a million rows; each block keeps only its k best (ties included), filters applied."""
        if self.compiled and self._kernel_safe and len(seg) >= self.compiled_min_rows and _kernels():
            return self._compiled_candidates(seg, offset, idf, weights, norm, dead, tids, allowed, k)
        n = len(seg)
        edges = np.arange(0, n + _BLOCK_ROWS, _BLOCK_ROWS)
        edges[-1] = n
        edges = edges[: int(np.searchsorted(edges, n)) + 1]
        spans = []
        for tid in tids:
            lo, hi = int(seg.indptr[tid]), int(seg.indptr[tid + 1])
            cuts = (lo + np.searchsorted(seg.postings[lo:hi], edges)).tolist() if len(edges) > 2 else [lo, hi]
            spans.append((tid, cuts))
        table = None if allowed is None else np.array([name in allowed for name in seg.scopes] + [False], dtype=bool)
        acc, mark = self._scratch(min(n, _BLOCK_ROWS), offset)
        found_rows, found_scores = [], []
        for block in range(len(edges) - 1):
            start = int(edges[block])
            try:
                rows, scores = self._score_block(seg, idf, weights, norm, spans, block, start, acc, mark)
            except BaseException:
                setattr(self._local, f"s{offset}", None)  # never reuse a half-cleared scratch
                raise
            if not len(rows):
                continue
            rows = rows + start
            if dead is not None:
                keep = ~dead[rows]
                rows, scores = rows[keep], scores[keep]
            if table is not None:
                keep = table[seg.scope_ids[rows]]
                rows, scores = rows[keep], scores[keep]
            if len(rows) > k:  # this block's k best, ties with the k-th kept (the final order breaks them)
                keep = scores >= np.partition(scores, len(scores) - k)[len(scores) - k]
                rows, scores = rows[keep], scores[keep]
            found_rows.append(rows)
            found_scores.append(scores)
        if not found_rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0), False
        rows = np.concatenate(found_rows) if len(found_rows) > 1 else found_rows[0]
        scores = np.concatenate(found_scores) if len(found_scores) > 1 else found_scores[0]
        return rows.astype(np.int64) + offset, scores, False

    def _compiled_candidates(self, seg, offset, idf, weights, norm, dead, tids: list[int], allowed, k: int):
        """The segment's k best rows, best first (exact scores, ties to the lower row), from the kernel."""
        n = len(seg)
        key = f"c{offset}"
        scratch = getattr(self._local, key, None)
        if scratch is None or len(scratch[0]) != n:
            # touched: one slot more than rows, the kernel writes a row's slot before knowing it is new
            scratch = (np.zeros(n), np.zeros(n, dtype=np.uint8), np.zeros(n + 1, dtype=np.int64))
            setattr(self._local, key, scratch)
        acc, seen, touched = scratch
        table = _NO_FLAGS if allowed is None else _readonly(
            np.array([name in allowed for name in seg.scopes] + [False], dtype=bool))
        out_rows, out_scores = np.empty(k, dtype=np.int64), np.empty(k)
        query = _readonly(np.array(tids, dtype=np.int64))
        try:
            if isinstance(norm, _LengthNorm):  # within scopes: their IDFs per query term, lengths per row
                view = norm.view
                m = _kernels().top_k_scoped(seg.indptr, seg.postings, seg.tfs, seg.doc_len, view.length_norms,
                                            view.k1, view.b, view.avgdl,
                                            _readonly(np.array([idf[t] for t in tids], dtype=np.float64)),
                                            query, acc, seen, touched, _NO_FLAGS if dead is None else dead,
                                            seg.scope_ids, table, k, out_rows, out_scores)
            else:
                m = _kernels().top_k(seg.indptr, seg.postings, _NO_FLOATS if weights is None else weights, seg.tfs,
                                     _NO_FLOATS if norm is None else norm, idf, self.k1 + 1, query, acc, seen, touched,
                                     _NO_FLAGS if dead is None else dead, seg.scope_ids, table, k, out_rows, out_scores)
        except BaseException:
            setattr(self._local, key, None)  # never reuse a scratch the kernel may have left half-cleared
            raise
        return (out_rows[:m] + offset if offset else out_rows[:m]), out_scores[:m], True

    @property
    def weighs_postings(self) -> bool:
        """Whether the base's postings carry precomputed contributions for this snapshot's statistics."""
        return self._base_weights is not None

    def weigh_postings(self, stop: threading.Event | None = None) -> bool:
        """Precompute the base's per-posting contributions at this snapshot's live statistics (N, avgdl,
        IDF change with every add or removal, so the base's own weights no longer apply): queries then
        read a weight per posting instead of dividing, 2x faster at 1M passages until the next merge.
        The same expression as the kernel's, operation for operation, so the same floats. Meant for a
        background thread: stops early (False) when `stop` is set; queries use the weights once all done."""
        if self._base_weights is not None or self._norm_base is None:
            return True
        seg = self.base
        out = _weights(seg.indptr, seg.postings, seg.tfs, self._norm_base, self._idf_base, self.k1, stop)
        if out is None:
            return False
        self._base_weights = _readonly(out)  # one assignment: a query sees none or all of them
        return True

    def warm_up(self) -> None:
        """Compile the kernel for this index's array types now (or load it from numba's cache), so the
        first question does not pay for it. An index with no segment that big never imports numba."""
        if not self.compiled or not self._kernel_safe:
            return
        big = [s for s in self._segments() if len(s[0]) >= self.compiled_min_rows and s[0].vocab]
        if big and _kernels():
            for seg, offset, idf, weights, norm, dead in big:
                tids = [next(iter(seg.vocab.values()))]
                self._compiled_candidates(seg, offset, idf, weights, norm, dead, tids, None, 1)
                # and the scorer of questions asked within scopes (their own statistics)
                scoped = _LengthNorm(seg.doc_len, self.visible(seg.scopes[:1]))
                self._compiled_candidates(seg, offset, {tids[0]: 1.0}, None, scoped, dead, tids, set(seg.scopes), 1)

    def _score_block(self, seg, idf, weights, norm, spans, block: int, start: int, acc, mark):
        """Scatter-add the query terms' postings that fall in one block; its touched rows (block-local,
        sorted, distinct) and their scores, leaving the scratch clean."""
        touched = []
        for tid, cuts in spans:
            a, z = cuts[block], cuts[block + 1]
            if a == z:
                continue
            rows = seg.postings[a:z]
            if weights is not None:
                contrib = weights[a:z]
            else:
                tf = seg.tfs[a:z]
                # rank-bm25's expression, operation for operation, so the floats come out the same.
                contrib = idf[tid] * (tf * (self.k1 + 1) / (tf + norm[rows]))
            local = rows - start if start else rows
            acc[local] += contrib
            touched.append(local)
        if not touched:
            return touched, None
        total = sum(map(len, touched))
        if len(touched) == 1:
            rows = np.asarray(touched[0])
        elif total * _FEW_POSTINGS < len(acc):
            rows = np.sort(np.concatenate(touched))
            keep = np.empty(len(rows), dtype=bool)
            keep[0] = True
            np.not_equal(rows[1:], rows[:-1], out=keep[1:])
            rows = rows[keep]
        else:
            for r in touched:
                mark[r] = True
            rows = np.flatnonzero(mark)
            mark[rows] = False
        scores = acc[rows]
        acc[rows] = 0.0
        return rows.astype(np.int64), scores

    def top(self, query_tokens: Sequence[str], k: int, scopes: Iterable[str] | None = None) -> list[ScoredRow]:
        """The k best live passages containing at least one query term. Within `scopes` (a server's
        question), scored with those scopes' own statistics, as rank-bm25 over just the passages they
        hold: another scope's passages never move these scores. Ties go to the lower row."""
        if k <= 0:
            return []
        if scopes is None:
            allowed, segments = None, self._segments()
        else:
            allowed = frozenset(scopes)
            view = self.visible(allowed)
            if not view.total_len:  # nothing visible, or only empty passages: no term to match
                return []
            segments = self._scoped_segments(view, query_tokens)
        found = []
        for seg, offset, idf, weights, norm, dead in segments:
            tids = [tid for term in query_tokens if (tid := seg.vocab.get(term)) is not None]
            if allowed is not None:  # a term no visible passage holds adds nothing (rank-bm25: IDF 0)
                tids = [tid for tid in tids if tid in idf]
            if tids:
                found.append(self._segment_candidates(seg, offset, idf, weights, norm, dead, tids, allowed, k))
        if not found:
            return []
        if len(found) == 1 and found[0][2]:  # one segment, ranked by the kernel already
            return list(map(ScoredRow, found[0][0].tolist(), found[0][1].tolist()))
        rows = np.concatenate([c[0] for c in found]) if len(found) > 1 else found[0][0]
        scores = np.concatenate([c[1] for c in found]) if len(found) > 1 else found[0][1]
        if len(rows) > _PREFILTER * k:
            # Any k scores give a lower bound of the k-th best: keep only what reaches it, so the
            # partial sort runs over a few rows instead of every candidate.
            sample = scores[:: max(1, len(scores) // (_PREFILTER * k))]
            if len(sample) >= k:
                floor = np.partition(sample, len(sample) - k)[len(sample) - k]
                keep = np.flatnonzero(scores >= floor)
                rows, scores = rows[keep], scores[keep]
        if len(rows) > k:  # every score reaching the k-th, ties included, so the lower row wins a tie
            part = np.flatnonzero(scores >= np.partition(scores, len(scores) - k)[len(scores) - k])
        else:
            part = np.arange(len(rows))
        order = part[np.lexsort((rows[part], -scores[part]))][:k]
        return [ScoredRow(int(rows[i]), float(scores[i])) for i in order]

    # -- building and changing ----------------------------------------------------------------------
    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, Sequence[str]]], *, k1: float = 1.5, b: float = 0.75,
              epsilon: float = 0.25, header: dict | None = None) -> "BM25Index":
        """rows: (passage_id, scope, tokens), streamed in batches: tokens are never all held at once."""
        return cls(Segment.build(rows, k1=k1, b=b, epsilon=epsilon), k1=k1, b=b, epsilon=epsilon, header=header)

    def with_changes(self, *, remove_docs: Iterable[str] = (), add: Iterable[tuple[str, str, Sequence[str]]] = (),
                     header: dict | None = None) -> "BM25Index":
        """The next snapshot: these documents' passages gone (base rows join the deletion set, delta rows
        are dropped) and `add` appended to the delta, which is rebuilt (it is small). The base is untouched."""
        removed = set(remove_docs)
        dead = set(self.deleted.tolist()) if self.deleted is not None else set()
        dead.update(self.base.rows_of_docs(removed))
        kept: Iterable = ()
        if self.delta is not None:
            gone = set(self.delta.rows_of_docs(removed))
            kept = self.delta.bags(r for r in range(len(self.delta)) if r not in gone)
        delta = Segment.build(itertools.chain(kept, add), k1=self.k1, b=self.b, epsilon=self.epsilon,
                              with_weights=False)
        deleted = np.fromiter(sorted(dead), dtype=np.int64, count=len(dead))
        return BM25Index(self.base, k1=self.k1, b=self.b, epsilon=self.epsilon, delta=delta, deleted=deleted,
                         header={**self.header, **(header or {})})

    def delta_share(self) -> float:
        """How far the snapshot has drifted from its base: (delta + deleted rows) / base rows."""
        changed = self.n_rows - len(self.base) + (len(self.deleted) if self.deleted is not None else 0)
        return changed / max(1, len(self.base))

    # -- persistence --------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """New files under fresh names, then the header swapped in, then unreferenced files removed:
        a crash at any point leaves the previous header pointing at complete files. The base is
        written only when it is not in the folder already (saved or loaded there, so its checksums are
        known, never read back from files that may have changed since), so saving a change costs the
        delta only. The header records every file's size and CRC-32, taken as each was written."""
        folder.mkdir(parents=True, exist_ok=True)
        tag = uuid.uuid4().hex[:12]
        base_name = self.base.name if (self.base.name and self.base.checksums is not None
                                       and (folder / self.base.name / "segment.json").exists()) else None
        if base_name is None:
            base_name = f"base-{tag}"
            _save_segment(self.base, folder / base_name)
        delta_name = deleted_name = None
        if self.delta is not None:
            delta_name = f"delta-{tag}"
            _save_segment(self.delta, folder / delta_name)
        if self.deleted is not None:
            deleted_name = f"deleted-{tag}.npy"
            _save_array(folder / deleted_name, self.deleted)
        checksums = {f"{base_name}/{f}": v for f, v in self.base.checksums.items()}
        if self.delta is not None:
            checksums.update((f"{delta_name}/{f}", v) for f, v in self.delta.checksums.items())
        if deleted_name is not None:
            checksums[deleted_name] = _durable_checksum(folder / deleted_name)
        header = {**self.header, "format": FORMAT_VERSION, "k1": self.k1, "b": self.b, "epsilon": self.epsilon,
                  "passages": len(self), "base": base_name, "delta": delta_name, "deleted": deleted_name,
                  "checksums": checksums}
        tmp = folder / f"{HEADER}.{tag}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(header, indent=1))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, folder / HEADER)
        self.header = header
        keep = {HEADER, base_name, delta_name, deleted_name}
        for entry in folder.iterdir():
            if entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)

    @staticmethod
    def read_header(folder: Path) -> dict | None:
        try:
            header = json.loads((folder / HEADER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return header if isinstance(header, dict) else None

    @classmethod
    def load(cls, folder: Path) -> "BM25Index":
        """Memory-maps the segments the header names, after checking every file against the header's
        size and CRC-32 and every id and offset against the arrays' bounds. Raises FileNotFoundError when
        there is no index of this format (an earlier release's has no checksums: it is rebuilt) and
        CorruptIndex (a ValueError, naming the file or the check) when the files cannot be trusted."""
        header = cls.read_header(folder)
        if header is None or header.get("format") != FORMAT_VERSION:
            found = "no header" if header is None else f"format {header.get('format')!r}"
            raise FileNotFoundError(f"no usable index in {folder} ({found}; this release reads {FORMAT_VERSION})")
        try:
            return cls._load_checked(folder, header)
        except (CorruptIndex, OSError):
            raise
        except (ValueError, KeyError, IndexError, TypeError, EOFError, OverflowError) as exc:
            # np.load or json on bytes no checksum vouched for: the index is unusable, not the program broken.
            raise CorruptIndex(f"unreadable ({type(exc).__name__}: {exc})") from exc

    @classmethod
    def _load_checked(cls, folder: Path, header: dict) -> "BM25Index":
        base_name, delta_name, deleted_name = header.get("base"), header.get("delta"), header.get("deleted")
        checksums = header.get("checksums")
        if not _plain_name(base_name) or not all(x is None or _plain_name(x) for x in (delta_name, deleted_name)):
            raise CorruptIndex("the header names files outside the index folder")
        if not isinstance(checksums, dict) or not all(
                isinstance(v, list) and len(v) == 2 and all(type(x) is int for x in v) for v in checksums.values()):
            raise CorruptIndex("the header has no checksums")
        segments = [name for name in (base_name, delta_name) if name is not None]
        per_segment: dict[str, dict[str, list[int]]] = {name: {} for name in segments}
        for key, value in checksums.items():
            seg, _, file = key.partition("/")
            if file and seg in per_segment and _plain_name(file):
                per_segment[seg][file] = value
            elif key != deleted_name:
                raise CorruptIndex(f"the header lists a file the index does not use: {key!r}")
        if deleted_name is not None and deleted_name not in checksums:
            raise CorruptIndex(f"{deleted_name} has no checksum in the header")
        k1, b, epsilon, passages = (header.get(k) for k in ("k1", "b", "epsilon", "passages"))
        if not all(type(x) in (int, float) and math.isfinite(x) for x in (k1, b, epsilon)) or type(passages) is not int:
            raise CorruptIndex("the header's BM25 parameters or passage count are not numbers")
        _verify_files(folder, checksums)
        base = Segment.load(folder / base_name, per_segment[base_name])
        delta = Segment.load(folder / delta_name, per_segment[delta_name]) if delta_name is not None else None
        deleted = None
        if deleted_name is not None:
            deleted = _load_array(folder / deleted_name, np.int64)
            if not _in_range(deleted, 0, len(base)):
                raise CorruptIndex(f"{deleted_name}: a deleted row is out of range")
        index = cls(base, k1=k1, b=b, epsilon=epsilon, header=header, delta=delta, deleted=deleted)
        if len(index) != passages:
            raise CorruptIndex(f"{len(index)} live passages, the header says {passages}")
        return index


def _durable_checksum(path: Path) -> list[int]:
    """fsync, then [size, CRC-32] of what was written: durable before the header may name it."""
    with open(path, "rb") as f:
        os.fsync(f.fileno())
    return _file_checksum(path)


def _save_segment(segment: Segment, folder: Path) -> None:
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    segment.save(tmp)
    # Durable before the header may name it; checksummed as read back, so the header vouches for what is on disk.
    checksums = {path.name: _durable_checksum(path) for path in sorted(tmp.iterdir())}
    os.replace(tmp, folder)
    segment.name, segment.checksums = folder.name, checksums


def rank_bm25_idf(df: np.ndarray, n: int, epsilon: float) -> np.ndarray:
    """rank_bm25.BM25Okapi._calc_idf: log((N-df+.5)/(df+.5)); negatives become epsilon x the mean IDF."""
    if not len(df):
        return np.zeros(0)
    df = np.asarray(df, dtype=np.float64)
    idf = np.log(n - df + 0.5) - np.log(df + 0.5)
    average = float(idf.sum()) / len(idf)
    idf[idf < 0] = epsilon * average
    return idf
