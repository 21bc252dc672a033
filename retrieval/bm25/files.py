"""An index on disk: plain .npy files, memory-mapped; never pickle.

A folder holds `header.json` (format, tokenizer version, store generation, the names of the segment
folders and deletion file it uses, and the size and CRC-32 of every file they hold) next to one folder per
segment. Files are written under fresh names and the header is swapped in last, so a crash leaves the
previous complete index. Loading checks every file against the header, then every id and offset the
scorers index with (validate.py), and refuses the index (`CorruptIndex`) on any mismatch: a flipped byte
means a rebuild, never a wrong answer or a crash.
"""

from __future__ import annotations

import json
import math
import mmap
import os
import shutil
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .segment import Segment
from .strings import Strings
from .validate import CorruptIndex, in_range

if TYPE_CHECKING:
    from .index import BM25Index

# 5: a (tf, length) pair code per posting instead of a tf and a float weight (pairs.py), and no forward
# index (Segment.forward derives it); 4: per-scope document frequencies in every segment; 3: the header
# holds every file's size and CRC-32. An index of another format is rebuilt from the store.
FORMAT_VERSION = 5
HEADER = "header.json"
SEGMENT_ARRAYS = ("indptr", "postings", "codes", "pair_tf", "pair_len", "doc_len", "scope_ids", "idf", "scope_ptr",
                  "scope_tids", "scope_dfs")
# The dtypes every array may be written with: another one (a flipped byte in an .npy header) is refused at
# load, as the kernel is compiled for these (and would read a float array's bytes as ids).
DTYPES = {"indptr": np.int64, "postings": np.int32, "codes": (np.uint16, np.uint32), "pair_tf": np.int32,
          "pair_len": np.int32, "doc_len": np.int32, "scope_ids": np.int32, "idf": np.float64, "scope_ptr": np.int64,
          "scope_tids": np.int32, "scope_dfs": np.int32}
SEGMENT_FILES = (*(f"{name}.npy" for name in SEGMENT_ARRAYS), "passages.bin.npy", "passages.off.npy", "terms.txt",
                 "segment.json")
_READ_CHUNK = 1 << 20  # bytes per read while checksumming


def save_array(path: Path, array: np.ndarray) -> None:
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


def load_array(path: Path, dtype) -> np.ndarray:
    """Memory-mapped and viewed as a plain ndarray (np.memmap slicing costs Python time per slice); a
    one-dimensional array of exactly `dtype` (or one of a tuple of them; native byte order) or CorruptIndex."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError:  # an empty array cannot be mapped
        array = np.load(path, allow_pickle=False)
    allowed = [np.dtype(d) for d in (dtype if isinstance(dtype, tuple) else (dtype,))]
    if not isinstance(array, np.ndarray) or array.ndim != 1 or array.dtype not in allowed:
        names = " or ".join(d.name for d in allowed)
        raise CorruptIndex(f"{path.parent.name}/{path.name} is not a 1-d {names} array")
    return array.view(np.ndarray)


def file_checksum(path: Path, buffer: memoryview | None = None) -> list[int]:
    """[size in bytes, CRC-32] of a file. zlib's CRC-32 runs at about 4 GB/s, 4x blake2b; the file is read,
    not mapped, so one truncated meanwhile is a mismatch rather than a SIGBUS."""
    buffer = buffer if buffer is not None else memoryview(bytearray(_READ_CHUNK))
    size = crc = 0
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buffer):
            crc = zlib.crc32(buffer[:n], crc)
            size += n
    return [size, crc]


def _durable_checksum(path: Path) -> list[int]:
    """fsync, then [size, CRC-32] of what was written: durable before the header may name it."""
    with open(path, "rb") as f:
        os.fsync(f.fileno())
    return file_checksum(path)


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
        if file_checksum(path, buffer) != [expected[0], expected[1]]:
            raise CorruptIndex(f"checksum mismatch in {name}")


def _plain_name(name: object) -> bool:
    """A file or folder name in the index folder itself: a header never points elsewhere."""
    return isinstance(name, str) and bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name


def _unmap_pages(array: np.ndarray | None) -> None:
    """Drop a memory-mapped array's pages from this process (they stay in the page cache, and come back
    on the next read): the checks read every posting once, which would otherwise leave the whole index
    resident (RSS 73 -> 471 MB after loading 1M passages), where only the postings questions touch were."""
    base = array
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
    if isinstance(base, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        base.madvise(mmap.MADV_DONTNEED)


# -- segments ---------------------------------------------------------------------------------------
def save_segment(segment: Segment, folder: Path) -> None:
    """Written into a temporary folder, made durable and checksummed as read back (the header vouches for
    what is on disk), then renamed into place."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in SEGMENT_ARRAYS:
        save_array(tmp / f"{name}.npy", getattr(segment, name))
    ids = segment.passage_ids if isinstance(segment.passage_ids, Strings) else Strings.from_list(segment.passage_ids)
    save_array(tmp / "passages.bin.npy", np.asarray(ids.blob, dtype=np.uint8))
    save_array(tmp / "passages.off.npy", np.asarray(ids.offsets, dtype=np.int64))
    (tmp / "terms.txt").write_text("\n".join(segment.terms()), encoding="utf-8")
    meta = {"scopes": segment.scopes, "passages": len(segment), "terms": len(segment.vocab),
            "doc_sorted": segment.doc_sorted}
    (tmp / "segment.json").write_text(json.dumps(meta), encoding="utf-8")
    checksums = {path.name: _durable_checksum(path) for path in sorted(tmp.iterdir())}
    os.replace(tmp, folder)
    segment.name, segment.checksums = folder.name, checksums


def load_segment(folder: Path, files: Mapping[str, list[int]] | None = None) -> Segment:
    """The segment in `folder`, its contents checked. files: the files the header vouches for (name ->
    [size, CRC-32], already verified); only those are read."""
    if files is not None and (missing := [f for f in SEGMENT_FILES if f not in files]):
        raise CorruptIndex(f"{folder.name}/{missing[0]} has no checksum in the header")
    meta = json.loads((folder / "segment.json").read_text(encoding="utf-8"))
    if not (isinstance(meta, dict) and isinstance(meta.get("scopes"), list)
            and all(isinstance(s, str) for s in meta["scopes"]) and isinstance(meta.get("doc_sorted"), bool)):
        raise CorruptIndex(f"{folder.name}/segment.json is malformed")
    arrays = {name: load_array(folder / f"{name}.npy", DTYPES[name]) for name in SEGMENT_ARRAYS}
    terms = (folder / "terms.txt").read_text(encoding="utf-8")
    vocab = {t: i for i, t in enumerate(terms.split("\n"))} if terms else {}
    passage_ids = Strings(load_array(folder / "passages.bin.npy", np.uint8),
                          load_array(folder / "passages.off.npy", np.int64))
    if (len(passage_ids) != meta.get("passages") or len(vocab) != meta.get("terms")
            or len(vocab) + 1 != len(arrays["indptr"])):
        raise CorruptIndex(f"segment {folder.name} is inconsistent (passages, terms and arrays disagree)")
    segment = Segment(passage_ids=passage_ids, scopes=meta["scopes"], vocab=vocab,
                      doc_sorted=meta["doc_sorted"], name=folder.name, **arrays)
    try:
        segment.check(release=_unmap_pages)  # each big array's pages dropped once checked: a lower peak
    except CorruptIndex as exc:
        raise CorruptIndex(f"{folder.name}: {exc}") from None
    for array in (*arrays.values(), passage_ids.blob, passage_ids.offsets):
        _unmap_pages(array)
    segment.checksums = dict(files) if files is not None else None
    return segment


# -- a snapshot -------------------------------------------------------------------------------------
def read_header(folder: Path) -> dict | None:
    try:
        header = json.loads((folder / HEADER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return header if isinstance(header, dict) else None


def save_index(index: BM25Index, folder: Path) -> dict:
    """New files under fresh names, then the header swapped in, then unreferenced files removed; the
    header written. The base is written only when it is not in the folder already (saved or loaded there,
    so its checksums are known, never read back from files that may have changed since), so saving a
    change costs the delta only. The header records every file's size and CRC-32, taken as each was written."""
    folder.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:12]
    base, delta, deleted = index.base, index.delta, index.deleted
    base_name = base.name if (base.name and base.checksums is not None
                              and (folder / base.name / "segment.json").exists()) else None
    if base_name is None:
        base_name = f"base-{tag}"
        save_segment(base, folder / base_name)
    delta_name = deleted_name = None
    if delta is not None:
        delta_name = f"delta-{tag}"
        save_segment(delta, folder / delta_name)
    if deleted is not None:
        deleted_name = f"deleted-{tag}.npy"
        save_array(folder / deleted_name, deleted)
    checksums = {f"{base_name}/{f}": v for f, v in base.checksums.items()}
    if delta is not None:
        checksums.update((f"{delta_name}/{f}", v) for f, v in delta.checksums.items())
    if deleted_name is not None:
        checksums[deleted_name] = _durable_checksum(folder / deleted_name)
    header = {**index.header, "format": FORMAT_VERSION, "k1": index.k1, "b": index.b, "epsilon": index.epsilon,
              "passages": len(index), "base": base_name, "delta": delta_name, "deleted": deleted_name,
              "checksums": checksums}
    tmp = folder / f"{HEADER}.{tag}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(header, indent=1))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, folder / HEADER)
    keep = {HEADER, base_name, delta_name, deleted_name}
    for entry in folder.iterdir():
        if entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
    return header


def load_index(folder: Path, make: Callable[..., BM25Index], loaded_base: Segment | None = None) -> BM25Index:
    """make(base, k1=, b=, epsilon=, header=, delta=, deleted=) of the segments the header names, memory-mapped,
    after checking every file against the header's size and CRC-32 and every id and offset against the
    arrays' bounds. FileNotFoundError when there is no index of this format (an earlier release's has no
    checksums: it is rebuilt); CorruptIndex (a ValueError, naming the file or the check) when the files
    cannot be trusted."""
    header = read_header(folder)
    if header is None or header.get("format") != FORMAT_VERSION:
        found = "no header" if header is None else f"format {header.get('format')!r}"
        raise FileNotFoundError(f"no usable index in {folder} ({found}; this release reads {FORMAT_VERSION})")
    try:
        return _load_checked(folder, header, make, loaded_base)
    except (CorruptIndex, OSError):
        raise
    except (ValueError, KeyError, IndexError, TypeError, EOFError, OverflowError) as exc:
        # np.load or json on bytes no checksum vouched for: the index is unusable, not the program broken.
        raise CorruptIndex(f"unreadable ({type(exc).__name__}: {exc})") from exc


def _load_checked(folder: Path, header: dict, make: Callable[..., BM25Index],
                  loaded_base: Segment | None = None) -> BM25Index:
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
    reuse = (loaded_base is not None and loaded_base.name == base_name
             and loaded_base.checksums == per_segment[base_name])
    _verify_files(folder, {k: v for k, v in checksums.items() if not (reuse and k.startswith(f"{base_name}/"))})
    base = loaded_base if reuse else load_segment(folder / base_name, per_segment[base_name])
    delta = load_segment(folder / delta_name, per_segment[delta_name]) if delta_name is not None else None
    deleted = None
    if deleted_name is not None:
        deleted = load_array(folder / deleted_name, np.int64)
        if not in_range(deleted, 0, len(base)):
            raise CorruptIndex(f"{deleted_name}: a deleted row is out of range")
    index = make(base, k1=k1, b=b, epsilon=epsilon, header=header, delta=delta, deleted=deleted)
    if len(index) != passages:
        raise CorruptIndex(f"{len(index)} live passages, the header says {passages}")
    return index
