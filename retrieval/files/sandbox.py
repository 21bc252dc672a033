"""Uploads are read in a child process with CPU-time and memory limits, so a hostile file (a bomb, a
pathological table, 19 MB without a space) costs at most those limits, and the bot's process (its event
loop, its GIL, its memory) never does that work.

Hand-written over `multiprocessing` rather than a pool: each file gets a fresh child whose limits
(`resource.setrlimit`) cover that file alone, and a child that overruns is killed, not reused. The children
fork from a forkserver that has already imported the parsers, so a file costs a fork, not a Python start.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any

from ..config import Settings
from ..errors import BadDocument
from ..ingest import Prepared, prepare

log = logging.getLogger(__name__)
_CONTEXT_LOCK = threading.Lock()
_context: Any = None


def _get_context() -> Any:
    global _context
    with _CONTEXT_LOCK:
        if _context is None:
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            _context = multiprocessing.get_context(method)
            if method == "forkserver":
                _context.set_forkserver_preload(["retrieval.ingest"])
        return _context


def _limit(cpu_seconds: int, memory_bytes: int) -> None:
    import resource

    if cpu_seconds:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _read_one(data: bytes, name: str, settings: Settings, kwargs: dict[str, Any], memory_bytes: int
              ) -> tuple[str, Any]:
    try:
        return "ok", prepare(data, name, settings, **kwargs)
    except BadDocument as exc:
        return "bad", str(exc)
    except MemoryError:
        return "bad", f"{name}: needs more than {memory_bytes / 2**20:,.0f} MB of memory to read; refused"
    except RecursionError:
        return "bad", f"{name}: nested too deeply to read; refused"
    except Exception as exc:  # noqa: BLE001 - a parser's own failure is the file's fault, told in one line
        return "bad", f"{name}: could not be read ({type(exc).__name__})"


def _child(conn: Connection, cpu_seconds: int, memory_bytes: int, items: list[tuple[bytes, str, dict[str, Any]]],
           settings: Settings) -> None:
    """Runs in the child: parse, split and tokenize each file under the limits; send back each result (or its
    one line) as soon as it is ready, so a child stopped by a limit has answered for the files before."""
    _limit(cpu_seconds, memory_bytes)
    for data, name, kwargs in items:
        result = _read_one(data, name, settings, kwargs, memory_bytes)
        try:
            conn.send(result)
        except MemoryError:
            conn.send(("bad", f"{name}: its text is too large to index; refused"))
    conn.close()


Item = tuple[bytes, str, dict[str, Any]]  # a file's bytes, its name, and prepare()'s keywords


def _run_child(items: list[Item], settings: Settings) -> list[tuple[str, Any] | None]:
    """One child for `items`, under one set of limits; None for each file it did not answer (it was stopped)."""
    cpu, memory = settings.upload_cpu_seconds, settings.upload_memory_mb * 2**20
    context = _get_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sender, cpu, memory, items, settings), name="read-upload",
                            daemon=True)
    child.start()
    sender.close()
    results: list[tuple[str, Any] | None] = []
    try:
        # The CPU limit ends a busy child; the wall-clock bound catches one that waits instead.
        while len(results) < len(items) and receiver.poll(3 * cpu + 10 if cpu else None):
            results.append(receiver.recv())
    except (EOFError, OSError):
        pass  # the child died before answering: killed at its CPU limit, or out of memory
    finally:
        receiver.close()
        child.join(5)
        if child.is_alive():
            child.kill()
            child.join()
    if len(results) < len(items):
        log.warning("reading %s stopped: exit code %s", items[len(results)][1], child.exitcode)
    return results + [None] * (len(items) - len(results))


def _outcome(result: tuple[str, Any] | None, name: str, settings: Settings) -> Prepared | BadDocument:
    if result is not None and result[0] == "ok":
        return result[1]
    if result is not None:
        return BadDocument(result[1])
    return BadDocument(f"{name}: reading it took more than the limits ({settings.upload_cpu_seconds} s of CPU, "
                       f"{settings.upload_memory_mb} MB); refused")


def prepare_bounded(data: bytes, name: str, settings: Settings, **kwargs: Any) -> Prepared:
    """`ingest.prepare` in a child process under `settings.upload_cpu_seconds` of CPU and
    `settings.upload_memory_mb` of address space; raises BadDocument with one line when it fails or overruns."""
    if not settings.upload_in_child or sys.platform == "win32":
        return prepare(data, name, settings, **kwargs)
    outcome = _outcome(_run_child([(data, name, kwargs)], settings)[0], name, settings)
    if isinstance(outcome, BadDocument):
        raise outcome
    return outcome


def prepare_many_bounded(items: list[Item], settings: Settings) -> list[Prepared | BadDocument]:
    """Many small files (a web source's pages) read in one child under one set of limits, so a page costs its
    reading rather than a process start. When a limit stops the child, the file it was reading is refused if it
    was the child's first (the limits were all its own); otherwise it and the files after it go to a new child.
    A hostile file is so read at most twice, and every other file is read."""
    if not settings.upload_in_child or sys.platform == "win32":
        return [_outcome(_read_one(data, name, settings, kwargs, 0), name, settings) for data, name, kwargs in items]
    results = _run_child(items, settings) if items else []
    answered = [_outcome(r, name, settings) for r, (_, name, _) in zip(results, items) if r is not None]
    if len(answered) == len(items):
        return answered
    if answered:  # the files before may have used up part of the limits: the rest starts afresh
        return answered + prepare_many_bounded(items[len(answered):], settings)
    return [_outcome(None, items[0][1], settings)] + prepare_many_bounded(items[1:], settings)
