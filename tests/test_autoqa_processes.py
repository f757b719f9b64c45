"""AutoQA with real processes, killed, on SQLite and on PostgreSQL: workers die with the run
that started them, a dead worker's claims are taken over, and a run that leaves work undone
says how much and exits non-zero."""

from __future__ import annotations

import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CLI = [sys.executable, "-m", "supportqa"]
CONVERSATIONS = 800


@dataclass
class Database:
    env: dict[str, str]
    query: Callable[[str], tuple]

    def run(self, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*CLI, *args], env={**self.env, **extra}, capture_output=True, text=True, check=check
        )

    def counts(self) -> tuple[int, int, int]:
        """(jobs done, AutoQA reviews, conversations with an AutoQA review)."""
        done = self.query("select count(*) from autoqa_job where status = 'done'")[0]
        reviews, distinct = self.query(
            "select count(*), count(distinct conversation_id) from reviews_review "
            "where source = 'autoqa'"
        )
        return done, reviews, distinct


def postgres_admin_url() -> str:
    return os.environ.get("SUPPORTQA_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")


def connect_postgres() -> Any:
    import psycopg

    admin_url = postgres_admin_url()
    try:
        return psycopg.connect(admin_url, autocommit=True)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI ({admin_url}): {exc}")
        pytest.skip(f"no PostgreSQL server at {admin_url} (CI always has one)")


def migrate(env: dict[str, str]) -> None:
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True, capture_output=True)


# The suite runs once on each database (.ci/run): each run drives the processes on its own.
VENDOR = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"


@pytest.fixture(scope="module")
def templates() -> Iterator[dict[str, str]]:
    """A migrated empty PostgreSQL database, copied for each test (migrating costs seconds
    each time); made on first use."""
    made: dict[str, str] = {}
    yield made
    if "postgresql" in made:
        admin = connect_postgres()
        admin.execute(f"drop database if exists {made['postgresql']}")
        admin.close()


@pytest.fixture(params=[VENDOR])
def database(request, tmp_path, templates) -> Iterator[Database]:
    env = {**os.environ, "SUPPORTQA_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    if request.param == "sqlite":
        path = request.getfixturevalue("migrated_sqlite")(tmp_path / "aq.sqlite3")
        env["DATABASE_URL"] = f"sqlite:///{path}"

        def query(sql: str) -> tuple:
            with sqlite3.connect(path) as db:
                return db.execute(sql).fetchone()

        yield Database(env, query)
        return
    import psycopg

    admin = connect_postgres()
    base_url = postgres_admin_url().rsplit("/", 1)[0]
    if "postgresql" not in templates:
        template = f"sqa_tmpl_{uuid.uuid4().hex[:10]}"
        admin.execute(f"create database {template}")
        migrate({**env, "DATABASE_URL": f"{base_url}/{template}"})
        templates["postgresql"] = template
    name = f"sqa_proc_{uuid.uuid4().hex[:10]}"
    admin.execute(f"create database {name} template {templates['postgresql']}")
    url = f"{base_url}/{name}"
    env["DATABASE_URL"] = url

    def pg_query(sql: str) -> tuple:
        with psycopg.connect(url) as db:
            return db.execute(sql).fetchone()

    try:
        yield Database(env, pg_query)
    finally:
        admin.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", [name]
        )
        admin.execute(f"drop database if exists {name}")
        admin.close()


def load(database: Database, tmp_path: Path) -> None:
    lines = []
    for i in range(CONVERSATIONS):
        body = {
            "external_id": f"w{i}",
            "agent": "agent.one",
            "team": "Team W",
            "created_at": "2026-10-01T09:00:00+00:00",
            "messages": [
                {"author_kind": "customer", "sent_at": "2026-10-01T09:00:00+00:00", "text": "hi"},
                {"author_kind": "agent", "sent_at": "2026-10-01T09:00:40+00:00", "text": "Hello!"},
            ],
        }
        lines.append(json.dumps(body))
    source = tmp_path / "w.jsonl"
    source.write_text("\n".join(lines) + "\n")
    database.run("import", "native", str(source), "--create-missing", "--no-progress")


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def wait_for_exit(pid: int, seconds: float) -> bool:
    """Whether the process has ended within `seconds`: waits on a pidfd (an event, not a
    sleep); a process already gone counts as ended."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([handle], [], [], seconds)
        return bool(ready)
    finally:
        os.close(handle)


def start_run(database: Database, *args: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [*CLI, "autoqa", "run", "--no-progress", *args],
        env=database.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert "to score" in process.stdout.readline()
    return process


def wait_for_progress(database: Database, process: subprocess.Popen, done: int) -> None:
    """Until `done` jobs are committed (the run's own progress, not time)."""
    while database.counts()[0] < done:
        assert process.poll() is None, "the run ended before it could be interrupted"


def test_killed_runs_leave_no_worker_behind_and_the_next_run_takes_over(database, tmp_path):
    load(database, tmp_path)
    run = start_run(database, "--workers", "2")
    wait_for_progress(database, run, 100)
    helpers = children_of(run.pid)
    assert len(helpers) == 1
    # The helper is a fork of the run (no new interpreter to start): the same command line.
    with (
        open(f"/proc/{helpers[0]}/cmdline", "rb") as forked,
        open(f"/proc/{run.pid}/cmdline", "rb") as own,
    ):
        assert forked.read() == own.read()
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert wait_for_exit(helpers[0], 10), "the helper worker outlived the run that started it"
    done, _, _ = database.counts()
    assert done < CONVERSATIONS
    # The dead workers' claims are this host's: the next run takes them over at once (no
    # waiting for them to go stale), scores everything once, and says nothing is left.
    again = database.run("autoqa", "run", "--no-progress")
    assert "conversations left unscored" not in again.stderr
    assert database.counts() == (CONVERSATIONS, CONVERSATIONS, CONVERSATIONS)


def test_a_run_that_leaves_work_says_how_much_and_exits_non_zero(database, tmp_path):
    load(database, tmp_path)
    first = database.run("autoqa", "run", "--workers", "2", "--no-progress")
    assert f"{CONVERSATIONS} conversations scored" in first.stdout
    assert database.counts() == (CONVERSATIONS, CONVERSATIONS, CONVERSATIONS)  # each once
    # The days the scoring marked are all recomputed by the end of the run (on PostgreSQL
    # by both processes side by side, on SQLite by the run's own once its helper is done).
    assert database.query("select count(*) from reports_dirtyday")[0] == 0
    # A worker on another host claimed these a moment ago and is still on them.
    claim_elsewhere(database, 7)
    left = database.run("autoqa", "run", "--no-progress", check=False)
    assert left.returncode == 1
    assert "7 conversations left unscored: 7 claimed by workers still running elsewhere" in (
        left.stderr
    )
    # ... and once their claims are older than SUPPORTQA_AUTOQA_STALE_SECONDS, taken over.
    done = database.run("autoqa", "run", "--no-progress", SUPPORTQA_AUTOQA_STALE_SECONDS="0")
    assert done.returncode == 0
    assert database.counts()[0] == CONVERSATIONS


def claim_elsewhere(database: Database, count: int) -> None:
    """Mark `count` jobs as claimed just now by a worker on another host."""
    script = (
        "import django; django.setup(); "
        "from django.utils import timezone; from supportqa.autoqa.models import Job; "
        f"ids = list(Job.objects.order_by('pk').values_list('pk', flat=True)[:{count}]); "
        "Job.objects.filter(pk__in=ids).update(status='running', claimed_by='elsewhere:1', "
        "claimed_at=timezone.now())"
    )
    subprocess.run(
        [sys.executable, "-c", script],
        env={**database.env, "DJANGO_SETTINGS_MODULE": "supportqa.settings"},
        check=True,
    )
