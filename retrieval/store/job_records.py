"""Heavy work as jobs in the shared store (issue 14, item 3): uploads, web sources and re-syncs are queued by
whichever process received the command and taken by one worker (`python -m retrieval worker`).

A worker claims a job with `SELECT ... FOR UPDATE SKIP LOCKED` and keeps that row locked, in an open
transaction, while it works; it marks the job done in the same transaction. A worker that dies drops its
connection, PostgreSQL rolls the claim back, and the job is queued again for the next worker. The work itself
commits in one transaction of its own (an upload, a sync), so a job is applied whole or not at all; run twice,
it changes nothing the second time (the same content hash, the same pages)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .connection import utc_now
from .failures import translating

QUEUED, DONE, FAILED = "queued", "done", "failed"
JOBS_CHANNEL = "corpus_jobs"


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    scope: str
    params: dict[str, Any]
    data: bytes | None
    status: str = QUEUED
    result: dict[str, Any] | None = None
    attempts: int = 0


def _job(row: dict, attempts: int) -> Job:
    return Job(row["id"], row["kind"], row["scope"], json.loads(row["params"] or "{}"),
               bytes(row["data"]) if row.get("data") is not None else None, row["status"],
               json.loads(row["result"]) if row.get("result") else None, attempts)


class JobRecords:
    """Mixed into PostgresStore (jobs need several processes and row locks: SQLite runs work inline)."""

    @translating
    def submit_job(self, kind: str, scope: str, params: dict[str, Any], data: bytes | None = None) -> int:
        with self._writing():
            job_id = self.db["jobs"].insert({"kind": kind, "scope": scope, "params": json.dumps(params),
                                             "data": data, "status": QUEUED, "created_at": utc_now()}).last_pk
            self.db.conn.execute("select pg_notify(?, ?)", [JOBS_CHANNEL, str(job_id)])
        return int(job_id)

    @translating
    def job(self, job_id: int) -> Job:
        rows = list(self._read.query("select id, kind, scope, params, status, result from jobs where id = ?",
                                     [job_id]))
        if not rows:
            raise KeyError(job_id)
        return _job(rows[0], self._attempts(job_id))

    def _attempts(self, job_id: int) -> int:
        """Claims so far: counted in job_attempts, committed at each claim, so a worker that died still counts."""
        return next(iter(self._read.query("select count(*) n from job_attempts where job_id = ?", [job_id])))["n"]

    @contextmanager
    def claimed_job(self, worker: str) -> Iterator[Job | None]:
        """The oldest queued job no other worker holds, locked on a connection of its own until the block
        ends; `finish_job` inside the block records its end in that same transaction."""
        with self._connect(autocommit=False) as conn:  # its own, READ COMMITTED: it sees jobs queued meanwhile
            row = conn.execute(
                "select id, kind, scope, params, data, status, result from jobs where status = %s "
                "order by id for update skip locked limit 1", [QUEUED]).fetchone()
            if row is None:
                yield None
                return
            columns = ("id", "kind", "scope", "params", "data", "status", "result")
            job = _job(dict(zip(columns, row)), self._attempts(row[0]))
            with self._writing():  # committed now, on another connection: a worker that dies still counts
                self.db["job_attempts"].insert({"job_id": job.id, "worker": worker, "started_at": utc_now()})
            self._local.claim = conn
            try:
                yield job  # the block's end commits (the job finished), an exception rolls the claim back
            finally:
                self._local.claim = None

    def finish_job(self, job: Job, result: dict[str, Any] | None = None, error: str | None = None,
                   error_type: str = "RetrievalError") -> None:
        """Inside `claimed_job`: done (with what to tell the asker) or failed (one line), and the data freed."""
        conn = self._local.claim
        conn.execute("update jobs set status = %s, result = %s, data = null, finished_at = %s where id = %s",
                         [FAILED if error else DONE,
                          json.dumps({"error": error, "type": error_type} if error else result or {}),
                          utc_now(), job.id])
        conn.execute("select pg_notify(%s, %s)", [JOBS_CHANNEL, f"done {job.id}"])
