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


def _child(conn: Connection, cpu_seconds: int, memory_bytes: int, data: bytes, name: str, settings: Settings,
           kwargs: dict[str, Any]) -> None:
    """Runs in the child: parse, split and tokenize one file under the limits; send back the result or one line."""
    try:
        _limit(cpu_seconds, memory_bytes)
        result: tuple[str, Any] = ("ok", prepare(data, name, settings, **kwargs))
    except BadDocument as exc:
        result = ("bad", str(exc))
    except MemoryError:
        result = ("bad", f"{name}: needs more than {memory_bytes / 2**20:,.0f} MB of memory to read; refused")
    except RecursionError:
        result = ("bad", f"{name}: nested too deeply to read; refused")
    except Exception as exc:  # noqa: BLE001 - a parser's own failure is the file's fault, told in one line
        result = ("bad", f"{name}: could not be read ({type(exc).__name__})")
    try:
        conn.send(result)
    except MemoryError:
        conn.send(("bad", f"{name}: its text is too large to index; refused"))
    conn.close()


def prepare_bounded(data: bytes, name: str, settings: Settings, **kwargs: Any) -> Prepared:
    """`ingest.prepare` in a child process under `settings.upload_cpu_seconds` of CPU and
    `settings.upload_memory_mb` of address space; raises BadDocument with one line when it fails or overruns."""
    if not settings.upload_in_child or sys.platform == "win32":
        return prepare(data, name, settings, **kwargs)
    cpu, memory = settings.upload_cpu_seconds, settings.upload_memory_mb * 2**20
    context = _get_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sender, cpu, memory, data, name, settings, kwargs),
                            name="read-upload", daemon=True)
    child.start()
    sender.close()
    status, value = None, None
    try:
        # The CPU limit ends a busy child; the wall-clock bound catches one that waits instead.
        if receiver.poll(3 * cpu + 10 if cpu else None):
            status, value = receiver.recv()
    except (EOFError, OSError):
        pass  # the child died before answering: killed at its CPU limit, or out of memory
    finally:
        receiver.close()
        child.join(5)
        if child.is_alive():
            child.kill()
            child.join()
    if status == "ok":
        return value
    if status == "bad":
        raise BadDocument(value)
    log.warning("reading %s stopped: exit code %s", name, child.exitcode)
    raise BadDocument(f"{name}: reading it took more than the limits ({cpu} s of CPU, {settings.upload_memory_mb} MB); "
                      "refused")
