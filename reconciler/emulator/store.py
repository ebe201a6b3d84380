"""SQLite storage of the emulated workspace: one row per endpoint, its document as JSON.

Why this shape: GET is the hot path, so it is one indexed SELECT of a stored document,
run inline on the event loop (microseconds; WAL readers never wait for writers). Writes
run in a worker thread inside ``BEGIN IMMEDIATE``, so the read-modify-write of one
endpoint is atomic even when two processes share the file (``busy_timeout`` makes the
second wait instead of failing). ``synchronous=NORMAL`` in WAL mode keeps every committed
write across a killed process; only a power cut could lose the last ones.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

Doc = dict[str, Any]
T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000
# PRAGMA application_id of our files ("SREC"): a SQLite file of another program is refused
# instead of getting our tables added to it.
APPLICATION_ID = 0x53524543


class StoreError(Exception):
    """The database file cannot be used: corrupt, not SQLite, or another program's."""
SCHEMA = """
CREATE TABLE IF NOT EXISTS endpoints (
    name TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS acls (endpoint_id TEXT PRIMARY KEY, acl TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS controls (name TEXT PRIMARY KEY, fail_next_update INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS uc_securables (
    name TEXT PRIMARY KEY, full_name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS uc_grants (securable TEXT PRIMARY KEY, grants TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS query_faults (
    name TEXT NOT NULL, served_entity TEXT NOT NULL, status INTEGER NOT NULL,
    rate REAL NOT NULL, message TEXT, PRIMARY KEY (name, served_entity));
"""


OUR_TABLES = frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", SCHEMA))


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _connect(target: str) -> sqlite3.Connection:
    conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


@dataclass(frozen=True)
class QueryFault:
    """Queries to ``name`` (only those ``served_entity`` answers, "" for all) fail at ``rate``."""

    name: str
    served_entity: str
    status: int
    rate: float
    message: str | None = None


def _check_ours(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a file another program made: a foreign application id, or tables of its own.
    An empty file, or one with only our tables (made before the id was set), is ours."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}
    if app_id not in (0, APPLICATION_ID) or not tables <= OUR_TABLES:
        theirs = ", ".join(sorted(tables - OUR_TABLES)) or f"application id {app_id:#x}"
        raise StoreError(f"{path} is a SQLite file of another program ({theirs}), not a "
                         "reconciler local registry; it was left untouched")


class WriteTxn:
    """The operations a write may do, all inside one ``BEGIN IMMEDIATE`` transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get(self, name: str) -> Doc | None:
        row = self._conn.execute("SELECT doc FROM endpoints WHERE name=?", (name,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def get_by_id(self, endpoint_id: str) -> Doc | None:
        row = self._conn.execute("SELECT doc FROM endpoints WHERE id=?", (endpoint_id,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(self, doc: Doc) -> None:
        self._conn.execute(
            "INSERT INTO endpoints(name, id, doc) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET id=excluded.id, doc=excluded.doc",
            (doc["name"], doc["id"], _dumps(doc)),
        )

    def delete(self, name: str) -> None:
        """Remove the endpoint and its grants (a recreated endpoint has a new id)."""
        self._conn.execute("DELETE FROM acls WHERE endpoint_id IN "
                           "(SELECT id FROM endpoints WHERE name=?)", (name,))
        self._conn.execute("DELETE FROM endpoints WHERE name=?", (name,))

    def get_acl(self, endpoint_id: str) -> list[Doc] | None:
        row = self._conn.execute(
            "SELECT acl FROM acls WHERE endpoint_id=?", (endpoint_id,)).fetchone()
        return None if row is None else list(json.loads(row[0]))

    def put_acl(self, endpoint_id: str, acl: list[Doc]) -> None:
        self._conn.execute(
            "INSERT INTO acls(endpoint_id, acl) VALUES (?, ?) "
            "ON CONFLICT(endpoint_id) DO UPDATE SET acl=excluded.acl",
            (endpoint_id, _dumps(acl)),
        )

    # Unity Catalog securables (uc_routes): one row each, full_name unique across kinds.
    def get_securable(self, name: str) -> Doc | None:
        row = self._conn.execute(
            "SELECT doc FROM uc_securables WHERE name=?", (name,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def securable_name(self, full_name: str) -> str | None:
        row = self._conn.execute(
            "SELECT name FROM uc_securables WHERE full_name=?", (full_name,)).fetchone()
        return None if row is None else str(row[0])

    def put_securable(self, full_name: str, doc: Doc) -> None:
        self._conn.execute(
            "INSERT INTO uc_securables(name, full_name, doc) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET doc=excluded.doc",
            (doc["name"], full_name, _dumps(doc)),
        )

    def delete_securable(self, name: str, grants_key: str) -> None:
        self._conn.execute("DELETE FROM uc_securables WHERE name=?", (name,))
        self._conn.execute("DELETE FROM uc_grants WHERE securable=?", (grants_key,))

    def get_grants(self, key: str) -> list[Doc]:
        row = self._conn.execute(
            "SELECT grants FROM uc_grants WHERE securable=?", (key,)).fetchone()
        return [] if row is None else list(json.loads(row[0]))

    def put_grants(self, key: str, grants: list[Doc]) -> None:
        self._conn.execute(
            "INSERT INTO uc_grants(securable, grants) VALUES (?, ?) "
            "ON CONFLICT(securable) DO UPDATE SET grants=excluded.grants",
            (key, _dumps(grants)),
        )

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    def set_fail_next_update(self, name: str) -> None:
        self._conn.execute(
            "INSERT INTO controls(name, fail_next_update) VALUES (?, 1) "
            "ON CONFLICT(name) DO UPDATE SET fail_next_update=1",
            (name,),
        )

    def take_fail_next_update(self, name: str) -> bool:
        """Whether a failure was armed for ``name``'s next update; disarms it."""
        row = self._conn.execute(
            "SELECT fail_next_update FROM controls WHERE name=?", (name,)).fetchone()
        if row is None or not row[0]:
            return False
        self._conn.execute("DELETE FROM controls WHERE name=?", (name,))
        return True

    def set_query_fault(self, fault: QueryFault) -> None:
        """Arm (or with rate 0 clear) a query fault; ``served_entity`` "" means any entity."""
        if fault.rate <= 0:
            self._conn.execute("DELETE FROM query_faults WHERE name=? AND served_entity=?",
                               (fault.name, fault.served_entity))
            return
        self._conn.execute(
            "INSERT INTO query_faults(name, served_entity, status, rate, message) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(name, served_entity) DO UPDATE SET "
            "status=excluded.status, rate=excluded.rate, message=excluded.message",
            (fault.name, fault.served_entity, fault.status, fault.rate, fault.message),
        )


class EndpointStore:
    """The emulator's database; ``db_path`` None is a private in-memory database."""

    def __init__(self, db_path: Path | None) -> None:
        if db_path is None:
            self._writer = _connect(":memory:")
            self._reader = self._writer
            self._write_lock = threading.Lock()
            self._read_lock = self._write_lock
        else:
            db_path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._writer = _connect(str(db_path))
                _check_ours(self._writer, db_path)
                self._writer.execute("PRAGMA journal_mode=WAL")
                self._reader = _connect(str(db_path))
            except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
                raise StoreError(f"{db_path} is not a usable SQLite database ({exc})") from exc
            self._write_lock = threading.Lock()
            self._read_lock = threading.Lock()
        for conn in {id(self._writer): self._writer, id(self._reader): self._reader}.values():
            conn.execute("PRAGMA synchronous=NORMAL")
        try:
            self.salt = self._write_sync(self._init_schema)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{db_path} is not a usable SQLite database ({exc})") from exc

    @staticmethod
    def _init_schema(txn: WriteTxn) -> str:
        conn = txn._conn
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('secret_salt', ?)",
                     (secrets.token_hex(16),))
        row = conn.execute("SELECT value FROM meta WHERE key='secret_salt'").fetchone()
        return str(row[0])

    # Reads: inline, short, lock only to share one connection between threads.
    def read(self, name: str) -> Doc | None:
        with self._read_lock:
            row = self._reader.execute(
                "SELECT doc FROM endpoints WHERE name=?", (name,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def read_by_id(self, endpoint_id: str) -> Doc | None:
        with self._read_lock:
            row = self._reader.execute(
                "SELECT doc FROM endpoints WHERE id=?", (endpoint_id,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def read_all(self) -> list[Doc]:
        with self._read_lock:
            rows = self._reader.execute("SELECT doc FROM endpoints ORDER BY name").fetchall()
        return [dict(json.loads(row[0])) for row in rows]

    def read_acl(self, endpoint_id: str) -> list[Doc] | None:
        with self._read_lock:
            row = self._reader.execute(
                "SELECT acl FROM acls WHERE endpoint_id=?", (endpoint_id,)).fetchone()
        return None if row is None else list(json.loads(row[0]))

    def read_securable(self, name: str) -> Doc | None:
        with self._read_lock:
            row = self._reader.execute(
                "SELECT doc FROM uc_securables WHERE name=?", (name,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def read_securables(self, prefix: str, after: str, limit: int) -> list[Doc]:
        """Securables whose name starts with ``prefix``, by name, after ``after``."""
        with self._read_lock:
            rows = self._reader.execute(
                "SELECT doc FROM uc_securables WHERE substr(name, 1, ?) = ? AND name > ? "
                "ORDER BY name LIMIT ?", (len(prefix), prefix, after, limit)).fetchall()
        return [dict(json.loads(row[0])) for row in rows]

    def read_grants(self, key: str) -> list[Doc]:
        with self._read_lock:
            row = self._reader.execute(
                "SELECT grants FROM uc_grants WHERE securable=?", (key,)).fetchone()
        return [] if row is None else list(json.loads(row[0]))

    def read_meta(self, key: str) -> str | None:
        with self._read_lock:
            row = self._reader.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def read_query_faults(self, name: str) -> list[QueryFault]:
        with self._read_lock:
            rows = self._reader.execute(
                "SELECT served_entity, status, rate, message FROM query_faults WHERE name=? "
                "ORDER BY served_entity", (name,)).fetchall()
        return [QueryFault(name, str(r[0]), int(r[1]), float(r[2]), r[3]) for r in rows]

    # Writes: one transaction each, in a worker thread so a busy file never blocks the loop.
    async def write(self, fn: Callable[[WriteTxn], T]) -> T:
        return await anyio.to_thread.run_sync(self._write_sync, fn)

    def _write_sync(self, fn: Callable[[WriteTxn], T]) -> T:
        with self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(WriteTxn(conn))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    def close(self) -> None:
        with self._write_lock:
            self._writer.close()
            if self._reader is not self._writer:
                self._reader.close()
