"""A real, throwaway PostgreSQL server for tests: no Docker, no mocks, no Python driver needed.

Why: the PostgreSQL store (issue 14) must be tested against the real server, as SQLite is. Each test
session starts one server from the installed binaries (Debian package `postgresql`) in its own temp
folder, listening only on 127.0.0.1 at a free port, and each test gets a fresh database in it.

Usage:
    with PostgresServer() as server:
        dsn = server.create_database("my_test")   # postgresql://corpus@127.0.0.1:PORT/my_test

or the pytest fixtures `postgres_server` (one per session) and `postgres_dsn` (a fresh database per test):
    from pg_server import postgres_server, postgres_dsn  # noqa: F401
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import pytest

SUPERUSER = "corpus"
NEEDED = ("initdb", "pg_ctl", "postgres")
INSTALL_HINT = ("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH nor in "
                "/usr/lib/postgresql/*/bin: install the Debian package `postgresql` "
                "(apt-get install postgresql)")
# Durability off, few connections: a test server holds nothing worth keeping and should start fast.
TEST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "50",
    "shared_buffers": "32MB",
}
START_TIMEOUT = 60  # seconds pg_ctl waits for the server to accept connections
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def find_binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: PATH first, then Debian's folders, newest first.

    Why: Debian installs the server outside PATH (/usr/lib/postgresql/<version>/bin); symlinks on PATH
    are resolved so the companion tools (psql, createdb) come from the same version.
    """
    candidates: list[Path] = []
    found = shutil.which("initdb")
    if found:
        candidates += [Path(found).resolve().parent, Path(found).parent]

    def version(folder: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name)) or (0,)

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for folder in candidates:
        if all(os.access(folder / name, os.X_OK) for name in NEEDED):
            return folder
    return None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the OS picks it); a race with other programs is retried on start."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _service_account() -> pwd.struct_passwd | None:
    """The unprivileged account to run the server as when we are root (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a `postgres` nor a `nobody` user exists to run PostgreSQL")


def _clean_env() -> dict[str, str]:
    """The environment without PG* variables (a stray PGHOST or PGDATABASE would redirect the tools)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"  # messages in English, parseable; the cluster's own locale is set by initdb flags
    return env


def _cluster_locale() -> str:
    """C.UTF-8 when installed (Unicode-aware lower/upper), else plain C; never the machine's LANG."""
    return "C.UTF-8" if Path("/usr/lib/locale/C.utf8").is_dir() else "C"


def _tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "(no server log)"
    return " | ".join(text[-lines:]) or "(empty server log)"


class PostgresServer:
    """One PostgreSQL cluster in its own temp folder, started on enter and stopped (and deleted) on exit."""

    def __init__(self, parent: Path | str | None = None, bin_dir: Path | None = None) -> None:
        """parent: where to make the temp folder (default /tmp; it must be traversable by the server's user)."""
        self.bin_dir = bin_dir or find_binaries()
        self.parent = Path(parent) if parent else Path("/tmp" if os.geteuid() == 0 else tempfile.gettempdir())
        self.account = _service_account()
        self.root: Path | None = None
        self.port: int | None = None
        self.started = False
        self.startup_seconds: float | None = None  # initdb + start, measured on enter
        self._counter = 0

    # -- paths and commands --------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.root is not None
        return self.root / "sock"

    @property
    def log_file(self) -> Path:
        assert self.root is not None
        return self.root / "server.log"

    @property
    def dsn(self) -> str:
        """The superuser's URL to the default `postgres` database."""
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str, as_service: bool = True, check: bool = True,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a tool from the binaries folder, as the unprivileged account when we are root."""
        assert self.bin_dir is not None
        extra: dict[str, Any] = {}
        if as_service and self.account is not None:
            extra = {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}
        result = subprocess.run([str(self.bin_dir / tool), *args], capture_output=True, text=True,
                                env=_clean_env(), cwd=self.root, timeout=timeout, check=False, **extra)
        if check and result.returncode != 0:
            reason = (result.stderr or result.stdout).strip().replace("\n", " | ")
            raise RuntimeError(f"{tool} failed (exit {result.returncode}): {reason}")
        return result

    # -- lifecycle -----------------------------------------------------------------------------------
    def __enter__(self) -> Self:
        if self.bin_dir is None or not all(os.access(self.bin_dir / name, os.X_OK) for name in NEEDED):
            raise RuntimeError(INSTALL_HINT if self.bin_dir is None
                               else f"{self.bin_dir} lacks one of {', '.join(NEEDED)}; {INSTALL_HINT}")
        began = time.monotonic()
        self.root = Path(tempfile.mkdtemp(prefix="pg-", dir=self.parent))
        try:
            self._prepare_folder()
            self._initdb()
            self._start()
        except BaseException:
            self._shutdown()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def __exit__(self, *exc: object) -> None:
        self._shutdown()

    def _prepare_folder(self) -> None:
        self.socket_dir.mkdir()
        if self.account is not None:
            # Root's mkdtemp folder is 0700: open it for traversal and hand it to the server's account.
            self.root.chmod(0o755)
            for path in (self.root, self.socket_dir):
                os.chown(path, self.account.pw_uid, self.account.pw_gid)
            probe = subprocess.run(["test", "-w", str(self.root)], user=self.account.pw_uid,
                                   group=self.account.pw_gid, extra_groups=[], check=False)
            if probe.returncode != 0:
                raise RuntimeError(f"user {self.account.pw_name} cannot reach {self.root}: "
                                   f"a parent folder of {self.parent} is not traversable; pass another parent")

    def _initdb(self) -> None:
        locale = _cluster_locale()
        self._run("initdb", "-D", str(self.data_dir), f"--username={SUPERUSER}", "--auth=trust",
                  "--encoding=UTF8", f"--locale={locale}", "--no-sync", "--no-instructions")
        # Settings go in the config file rather than on pg_ctl's command line: no shell quoting to get wrong.
        settings = {**TEST_SETTINGS, "listen_addresses": "'127.0.0.1'",
                    "unix_socket_directories": f"'{self.socket_dir}'"}
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# tests/pg_server.py\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def _start(self) -> None:
        last_error = ""
        for _attempt in range(3):  # another program may grab the free port between probe and bind
            self.port = free_port()
            result = self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w",
                               "-t", str(START_TIMEOUT), "-o", f"-p {self.port}", "start",
                               check=False, timeout=START_TIMEOUT + 30)
            if result.returncode == 0:
                self.started = True
                return
            log = _tail(self.log_file)
            last_error = (f"PostgreSQL failed to start on 127.0.0.1:{self.port} (pg_ctl exit "
                          f"{result.returncode}: {result.stderr.strip()}); server log: {log}")
            self._stop()  # pg_ctl may have timed out while the server still came up
            if "could not bind" not in log and "already in use" not in log:
                break
        raise RuntimeError(last_error.replace("\n", " | "))

    def _stop(self) -> None:
        if self.root is None or not (self.data_dir / "postmaster.pid").exists():
            return
        for mode in ("fast", "immediate"):
            result = self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "30", "stop",
                               check=False, timeout=60)
            if result.returncode == 0 or not (self.data_dir / "postmaster.pid").exists():
                return

    def _shutdown(self) -> None:
        try:
            self._stop()
        finally:
            self.started = False
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)
                self.root = None

    # -- databases -----------------------------------------------------------------------------------
    def create_database(self, name: str | None = None) -> str:
        """Create a fresh, empty database (a generated name when none is given) and return its DSN."""
        if not self.started:
            raise RuntimeError("the PostgreSQL server is not running (use PostgresServer as a context manager)")
        if name is None:
            self._counter += 1
            name = f"test_{self._counter}_{uuid.uuid4().hex[:8]}"
        if not _NAME.match(name):
            raise ValueError(f"database name {name!r}: use lowercase letters, digits and _ (max 63)")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name, as_service=False)
        return self.dsn_for(name)

    def psql(self, dsn: str, sql: str) -> str:
        """Run SQL with the psql binary; unaligned tuples-only output, stopping at the first error."""
        result = self._run("psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql,
                           as_service=False)
        return result.stdout.strip()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole session; fails (not skips) when the server isn't installed."""
    if find_binaries() is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    try:
        server = PostgresServer().__enter__()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def postgres_dsn(postgres_server: PostgresServer) -> str:
    """A fresh, empty database for one test (dropped with the whole server at the end of the session)."""
    return postgres_server.create_database()
