"""The exact BM25 engine: rank_bm25.BM25Okapi's scores, touching only a question's postings.

formula.py      the BM25 Okapi contribution, length part and IDF: the one place every path takes them from
segment.py      one immutable segment: CSR postings built from token lists (strings.py: passage ids)
live_stats.py   N, avgdl, df and IDF over a snapshot's live passages (base + delta - deleted)
scope_stats.py  the same per scope set: a server's question sees only its passages
scoring.py      the numpy scorer and top-k selection; compiled.py + kernels.py: the numba one
block_max.py    posting blocks and their score bounds; maxscore.py: the kernel that skips postings with them
delta.py        changes as a delta segment and a deletion set over an untouched base
files.py        save and load, checksums (validate.py: the bounds every loaded array must keep)
index.py        BM25Index, the snapshot: the Retriever the search goes through
"""

from .compiled import BACKENDS, Backend
from .files import FORMAT_VERSION
from .index import BM25Index
from .validate import CorruptIndex

__all__ = ["BACKENDS", "BM25Index", "Backend", "CorruptIndex", "FORMAT_VERSION"]
