"""The heavy changes (an upload, a web source added, a server's re-sync, the bundled folder's refresh) as
jobs: one function per kind, whose result is what to tell the asker, so the same code runs in the process that
received the command (the default) or in a worker that took the job from the shared store
(`RETRIEVAL_JOBS=worker` with PostgreSQL; `python -m retrieval worker`)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from .corpus import Corpus
from . import errors
from .errors import RetrievalError
from .models import IngestReport

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]
WAIT_SECONDS = 0.2
MAX_ATTEMPTS = 3  # a job that stopped its worker this often is failed, not tried again
NO_WORKER_SECONDS = 60.0  # a job no worker took in this time: the asker is told (it stays queued)
MAX_WAIT_SECONDS = 30 * 60.0


def _upload(corpus: Corpus, scope: str, params: dict, data: bytes | None, progress: Progress | None) -> dict:
    report = corpus.add_bytes(data or b"", params["name"], scope=scope, title=params.get("title"),
                              source=params.get("source"))
    return asdict(report)


def _web_add(corpus: Corpus, scope: str, params: dict, data: bytes | None, progress: Progress | None) -> dict:
    from .web import sources

    report = sources.add_source(corpus, params["url"], scope, site=params.get("site", False),
                                max_pages=params.get("max_pages"), added_by=params.get("added_by", ""),
                                progress=progress)
    return {"text": sources.describe([(report.source, report, None)]), "changed": report.changed_anything,
            "summary": report.summary(), "url": report.source.url}


def _web_refresh(corpus: Corpus, scope: str, params: dict, data: bytes | None, progress: Progress | None) -> dict:
    from .web import sources

    results = sources.refresh_sources(corpus, scope, progress)
    return {"text": sources.describe(results), "sources": len(results),
            "changed": any(r is None or r.changed_anything or r.failed for _, r, _ in results)}


def _bundled_refresh(corpus: Corpus, scope: str, params: dict, data: bytes | None, progress: Progress | None) -> dict:
    result = corpus.refresh()
    return {**asdict(result.report), "failed": list(result.failed)}


KINDS: dict[str, Callable[..., dict]] = {"upload": _upload, "web_add": _web_add, "web_refresh": _web_refresh,
                                         "bundled_refresh": _bundled_refresh}


def ingest_report(result: dict) -> IngestReport:
    return IngestReport(**{k: tuple(v) if isinstance(v, list) else v for k, v in result.items()
                           if k in IngestReport.__dataclass_fields__})


def uses_worker(corpus: Corpus) -> bool:
    return corpus.settings.jobs == "worker" and hasattr(corpus.store, "submit_job")


def run(corpus: Corpus, kind: str, scope: str, params: dict[str, Any], data: bytes | None = None,
        progress: Progress | None = None) -> dict:
    """Do the job here, or queue it for a worker and wait for its result; a failure is one RetrievalError line."""
    if not uses_worker(corpus):
        return KINDS[kind](corpus, scope, params, data, progress)
    job_id = corpus.store.submit_job(kind, scope, params, data)
    log.info("queued job %s (%s) for a worker", job_id, kind)
    progress and progress(0, 0, "queued for a worker")
    queued_at = time.monotonic()
    while True:
        job = corpus.store.job(job_id)
        if job.status == "done":
            return job.result or {}
        if job.status == "failed":
            raise _failure(job.result or {})
        waited = time.monotonic() - queued_at
        if job.attempts == 0 and waited > NO_WORKER_SECONDS:
            raise JobWaiting(f"No worker has taken this yet (job {job_id}); it stays queued and is done when "
                             "the bot's worker runs (python -m retrieval worker).")
        if waited > MAX_WAIT_SECONDS:
            raise JobWaiting(f"The worker has not finished this within {MAX_WAIT_SECONDS // 60:.0f} minutes "
                             f"(job {job_id}); it may still finish.")
        time.sleep(WAIT_SECONDS)


class JobWaiting(RetrievalError):
    """A queued job whose result did not come back in time (no worker, or a very long job)."""


def _failure(result: dict) -> RetrievalError:
    """The worker's failure as the same named error here (CorpusBusy, QuotaExceeded, a database failure whose
    public line is shown to users, ...), so the bot treats it as if it had happened in this process."""
    cls = getattr(errors, result.get("type", ""), RetrievalError)
    if not (isinstance(cls, type) and issubclass(cls, RetrievalError)):
        cls = RetrievalError
    try:
        return cls(result.get("error") or "the job failed")
    except TypeError:
        return RetrievalError(result.get("error") or "the job failed")


def work(corpus: Corpus, stop: threading.Event, worker: str | None = None, once: bool = False) -> int:
    """Take jobs from the shared store until `stop` (or, with `once`, until none is queued); the jobs done."""
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    done = 0
    while not stop.is_set():
        try:
            done += _take_one(corpus, worker, stop, once)
        except _NothingQueued:
            return done
        except Exception:  # noqa: BLE001 - the store went away (a restart): the job in hand is queued again
            log.warning("the worker lost the store; trying again in a moment", exc_info=True)
            stop.wait(WAIT_SECONDS * 10)
    return done


class _NothingQueued(Exception):
    pass


def _take_one(corpus: Corpus, worker: str, stop: threading.Event, once: bool) -> int:
    """One job claimed, done and finished in the claim's transaction; 0 when none was queued."""
    with corpus.store.claimed_job(worker) as job:
        if job is None:
            if once:
                raise _NothingQueued
            stop.wait(WAIT_SECONDS * 5)
            return 0
        log.info("job %s (%s, server %s), attempt %d", job.id, job.kind, job.scope or "-", job.attempts + 1)
        if job.attempts >= MAX_ATTEMPTS:
            corpus.store.finish_job(job, error=f"stopped its worker {job.attempts} times; not tried again")
            return 1
        try:
            result = KINDS[job.kind](corpus, job.scope, job.params, job.data, None)
        except RetrievalError as exc:
            corpus.store.finish_job(job, error=str(exc), error_type=type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - logged for the operator, one line for the asker
            log.exception("job %s failed", job.id)
            corpus.store.finish_job(job, error=f"the job failed on the worker ({type(exc).__name__})")
        else:
            corpus.store.finish_job(job, result)
        return 1
