"""Consistent snapshots of the database and restoring them.

SQLite: the online backup API copies the database page by page while SupportQA runs (readers
and writers go on; the copy is of one moment). PostgreSQL: `pg_dump --format=custom`, one
transaction's snapshot, restored with `pg_restore --clean`. The file says which it is: SQLite
files start with "SQLite format 3", custom dumps with "PGDMP".
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connection

SQLITE_MAGIC = b"SQLite format 3\x00"
POSTGRES_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore refused or failed, with the reason to show."""


def backup(out: Path) -> str:
    """Write a snapshot of the database to `out` (not over an existing file). Returns what
    was written, for a person."""
    if out.exists():
        raise BackupError(f"{out} exists: choose a new file (a backup never overwrites one)")
    partial = out.with_name(out.name + ".partial")
    partial.touch(mode=0o600)  # all the personal data: readable by its owner only
    partial.chmod(0o600)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(partial)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    elif connection.vendor == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={partial}"])
    else:
        raise BackupError(f"no backup for {connection.vendor} databases")
    partial.rename(out)  # a file that exists is a whole backup
    return f"{connection.vendor} backup of {out.stat().st_size:,} bytes in {out}"


def restore(source: Path) -> str:
    """Replace the database's contents with a backup's."""
    try:
        head = source.open("rb").read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"cannot read {source}: {error.strerror}") from None
    if connection.vendor == "sqlite":
        if head != SQLITE_MAGIC:
            raise BackupError(f"{source} is not a SQLite backup (this database is SQLite)")
        connection.ensure_connection()
        origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            origin.backup(connection.connection)
        finally:
            origin.close()
    elif connection.vendor == "postgresql":
        if not head.startswith(POSTGRES_MAGIC):
            raise BackupError(f"{source} is not a PostgreSQL backup (this database is PostgreSQL)")
        connection.close()  # pg_restore drops and recreates what this session could hold
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_settings()['NAME']}", str(source)])  # fmt: skip
    else:
        raise BackupError(f"no restore for {connection.vendor} databases")
    return f"restored {source} into the {connection.vendor} database"


def _settings() -> dict[str, Any]:
    return dict(connection.settings_dict)


def _run(command: list[str]) -> None:
    """Run a PostgreSQL client tool against this database (its settings as the tools'
    environment variables, so no password is on a command line)."""
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)")
    settings = _settings()
    environment = {
        **os.environ,
        "PGHOST": str(settings.get("HOST") or ""),
        "PGPORT": str(settings.get("PORT") or ""),
        "PGUSER": str(settings.get("USER") or ""),
        "PGPASSWORD": str(settings.get("PASSWORD") or ""),
        "PGDATABASE": str(settings["NAME"]),
    }
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:500]}")
