"""The PostgreSQL test fixture starts a real server: reachable on loopback, fresh databases isolated."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pg_server
import pytest
from pg_server import PostgresServer, find_binaries

# The fixtures, shared through the helper module (tests/ is on sys.path via tests/conftest.py).
postgres_server = pg_server.postgres_server
postgres_dsn = pg_server.postgres_dsn


def test_binaries_found() -> None:
    folder = find_binaries()
    assert folder is not None, "install the Debian package `postgresql`"
    for tool in ("initdb", "pg_ctl", "postgres", "psql", "createdb"):
        assert os.access(folder / tool, os.X_OK), tool


def test_select_one(postgres_server: PostgresServer, postgres_dsn: str) -> None:
    assert postgres_dsn.startswith(f"postgresql://corpus@127.0.0.1:{postgres_server.port}/test_")
    assert postgres_server.psql(postgres_dsn, "select 1") == "1"


def test_server_runs_with_test_settings(postgres_server: PostgresServer) -> None:
    out = postgres_server.psql(postgres_server.dsn, "select current_setting('listen_addresses'), "
                               "current_setting('unix_socket_directories'), current_setting('fsync'), "
                               "current_setting('server_encoding'), current_user")
    listen, sockets, fsync, encoding, user = out.split("|")
    assert listen == "127.0.0.1"
    assert Path(sockets).parent == postgres_server.root
    assert (fsync, encoding, user) == ("off", "UTF8", "corpus")
    assert postgres_server.startup_seconds is not None and postgres_server.startup_seconds < 30


def test_fresh_databases_are_isolated(postgres_server: PostgresServer, postgres_dsn: str) -> None:
    postgres_server.psql(postgres_dsn, "create table chunk (id int primary key, text text);"
                                       "insert into chunk values (1, 'Mount Etna')")
    assert postgres_server.psql(postgres_dsn, "select text from chunk") == "Mount Etna"
    other = postgres_server.create_database()
    assert other != postgres_dsn
    assert postgres_server.psql(other, "select to_regclass('chunk') is null") == "t"


def test_context_manager_stops_and_cleans_up() -> None:
    with PostgresServer() as server:
        root, port = server.root, server.port
        assert server.psql(server.create_database("scratch"), "select current_database()") == "scratch"
    assert root is not None and not root.exists()
    with socket.socket() as sock, pytest.raises(OSError):
        sock.connect(("127.0.0.1", port))


def test_missing_binaries_raise_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="postgresql"):
        PostgresServer(bin_dir=tmp_path).__enter__()
