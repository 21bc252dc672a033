"""The database's schema as migrations (sqlite-utils' `Migrations`, recorded in `_sqlite_migrations`): a new
table or column is one new function here, applied once to every database, old or new.

Each step is written so that it also holds on a database made by a release from before migrations (which
already has some of these tables and columns): tables and indexes `if_not_exists`, columns only if missing.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

MIGRATIONS = Migrations("corpus-qa")
# What a database needs to be read at all (by a read-only process that cannot migrate it).
READ_TABLES = frozenset({"meta", "documents", "passages", "feedback"})


@MIGRATIONS()
def m001_documents_passages_feedback(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
    db["documents"].create(
        {"id": str, "scope": str, "title": str, "source": str, "path": str, "content_hash": str,
         "added_at": str, "updated_at": str, "text": str},
        pk="id", if_not_exists=True,
    )
    db["passages"].create(
        {"id": str, "doc_id": str, "ordinal": int, "text": str, "start": int, "end": int, "tokens": str},
        pk="id", foreign_keys=[("doc_id", "documents", "id")], if_not_exists=True,
    )
    db["feedback"].create(
        {"id": int, "scope": str, "user_id": str, "question": str, "answer": str,
         "passage_ids": str, "vote": int, "created_at": str},
        pk="id", if_not_exists=True,
    )
    db["documents"].create_index(["scope"], if_not_exists=True)
    db["documents"].create_index(["path"], if_not_exists=True)
    db["passages"].create_index(["doc_id", "ordinal"], unique=True, if_not_exists=True)
    db["feedback"].create_index(["scope", "created_at"], if_not_exists=True)
    db.execute("insert or ignore into meta (key, value) values ('schema_version', '1'), ('generation', '0')")


@MIGRATIONS()
def m002_passage_headings(db: sqlite_utils.Database) -> None:
    """Each passage's section path ("Chapter › Section"), indexed and shown with it."""
    if "heading" not in db["passages"].columns_dict:
        db["passages"].add_column("heading", str)


@MIGRATIONS()
def m003_one_vote_per_answer(db: sqlite_utils.Database) -> None:
    """Votes keyed by the answer's message: one per user and answer, a changed mind replaces it."""
    if "message_id" not in db["feedback"].columns_dict:
        db["feedback"].add_column("message_id", str)
    db.execute("create unique index if not exists feedback_one_vote "
               "on feedback(scope, message_id, user_id) where message_id is not null")


@MIGRATIONS()
def m004_replies(db: sqlite_utils.Database) -> None:
    """What an answer message showed (question, server, answer, cited passages), for its buttons: kept by message
    id, so changing the reply's layout never breaks the buttons of replies already sent."""
    db["replies"].create({"message_id": str, "scope": str, "question": str, "answer": str, "passage_ids": str,
                          "created_at": str}, pk="message_id", if_not_exists=True)
    db["replies"].create_index(["created_at"], if_not_exists=True)


@MIGRATIONS()
def m005_server_settings(db: sqlite_utils.Database) -> None:
    """Each server's own settings (its values over the operator's defaults), and every change with who
    made it and when."""
    db["server_settings"].create({"scope": str, "name": str, "value": str}, pk=("scope", "name"), if_not_exists=True)
    db["server_setting_changes"].create({"id": int, "scope": str, "name": str, "value": str, "changed_by": str,
                                         "changed_at": str}, pk="id", if_not_exists=True)
    db["server_setting_changes"].create_index(["scope", "id"], if_not_exists=True)


@MIGRATIONS()
def m006_unanswered_questions(db: sqlite_utils.Database) -> None:
    """Questions that came back not found or not sure, per server, for moderators' gaps report: what the
    documents should cover. Only those: answered questions are not kept."""
    db["unanswered"].create({"id": int, "scope": str, "question": str, "terms": str, "confidence": str,
                             "asked_at": str}, pk="id", if_not_exists=True)
    db["unanswered"].create_index(["scope", "terms"], if_not_exists=True)


@MIGRATIONS()
def m007_reply_channels(db: sqlite_utils.Database) -> None:
    """Where each answer was sent: a thread's earlier question reads its follow-ups."""
    if "channel_id" not in db["replies"].columns_dict:
        db["replies"].add_column("channel_id", str)
    db["replies"].create_index(["channel_id", "created_at"], if_not_exists=True)


@MIGRATIONS()
def m008_notices(db: sqlite_utils.Database) -> None:
    """When each server last got each kind of notice in its moderators' channel (the weekly gaps summary)."""
    db["notices"].create({"scope": str, "kind": str, "sent_at": str}, pk=("scope", "kind"), if_not_exists=True)


@MIGRATIONS()
def m009_web_sources(db: sqlite_utils.Database) -> None:
    """Each server's web sources (who added them, when, their bounds, the last sync) and the pages each
    one has, with what a conditional re-fetch needs (ETag, Last-Modified, the body's hash, its links)."""
    db["web_sources"].create({"id": int, "scope": str, "url": str, "site": int, "max_pages": int, "max_depth": int,
                              "added_by": str, "added_at": str, "synced_at": str, "summary": str},
                             pk="id", if_not_exists=True)
    db["web_sources"].create_index(["scope", "url"], unique=True, if_not_exists=True)
    db["web_pages"].create({"source_id": int, "url": str, "doc_id": str, "etag": str, "last_modified": str,
                            "page_hash": str, "links": str, "fetched_at": str},
                           pk=("source_id", "url"), if_not_exists=True)
    db["web_pages"].create_index(["doc_id"], if_not_exists=True)


@MIGRATIONS()
def m010_changes(db: sqlite_utils.Database) -> None:
    """What each generation changed (documents added or changed, removed), so another process's index follows
    a shared store by applying deltas instead of rebuilding."""
    db["changes"].create({"generation": int, "fresh": str, "gone": str, "at": str}, pk="generation",
                         if_not_exists=True)


def pending(db: sqlite_utils.Database) -> list[str]:
    """Names of the migrations this database still needs (reads only)."""
    return [m.name for m in MIGRATIONS.pending(db)]


def migrate(db: sqlite_utils.Database) -> None:
    MIGRATIONS.apply(db)
