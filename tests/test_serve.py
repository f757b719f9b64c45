"""`supportqa serve`: the production server answers, with static files, and refuses to start
on a database whose migrations are not applied."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import urllib.request

CLI = [sys.executable, "-m", "supportqa"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    """Until the server accepts connections (connect attempts, each bounded by the timeout)."""
    deadline = seconds
    while deadline > 0:
        assert process.poll() is None, process.stdout.read()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            deadline -= 0.5
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.5)  # returns early only if the server died
    raise AssertionError("the server did not start")


def test_serve_answers_with_pages_and_static_files(tmp_path, migrated_sqlite):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "SUPPORTQA_DATA_DIR": str(tmp_path),
    }
    refused = subprocess.run([*CLI, "serve"], env=env, capture_output=True, text=True)
    assert refused.returncode == 1 and "supportqa migrate" in refused.stderr
    migrated_sqlite(tmp_path / "serve.sqlite3")
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, server)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/") as page:
            assert page.status == 200 and b"Log in" in page.read()
            assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/supportqa/app.css") as css:
            assert css.status == 200 and b"SupportQA stylesheet" in css.read()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert (tmp_path / "static" / "supportqa" / "app.css").exists()  # collected


def test_the_collector_leaves_out_what_the_first_responses_built(client):
    """After the 1st, 10th and 100th response the objects alive are frozen out of Python's
    full collections (supportqa.apps.FreezeAfterWarmUp), and responses count towards it."""
    import gc

    from supportqa.apps import FREEZER, FreezeAfterWarmUp

    before = FREEZER.responses
    client.get("/login/")
    assert FREEZER.responses == before + 1  # connected to the end of every response

    freezer = FreezeAfterWarmUp()
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    freezer(None)  # the first response
    frozen = gc.get_freeze_count()
    assert frozen > 0
    kept = [[] for _ in range(1000)]
    for _ in range(8):  # the 2nd to the 9th
        freezer(None)
    # A frozen object whose last reference goes (here or in another thread) leaves the frozen
    # generation, so the count may fall a little; it must not grow by the 1,000 new lists.
    before_tenth = gc.get_freeze_count()
    assert frozen - 100 < before_tenth <= frozen
    freezer(None)  # the 10th
    assert gc.get_freeze_count() >= before_tenth + len(kept) - 100


def test_database_connections_are_kept_between_requests(monkeypatch, tmp_path):
    """Each web process keeps its connection for a minute on SQLite as on PostgreSQL: opening
    a SQLite connection per request costs its pragmas, its schema parse and a cold page cache
    (the demo's home page served 65 ms a request instead of 49)."""
    from supportqa.envconfig import database_from_url

    monkeypatch.delenv("SUPPORTQA_DB_CONN_MAX_AGE", raising=False)
    for url in (f"sqlite:///{tmp_path / 'db.sqlite3'}", "postgres://u@127.0.0.1/db"):
        assert database_from_url(url, base_dir=tmp_path)["CONN_MAX_AGE"] == 60
    monkeypatch.setenv("SUPPORTQA_DB_CONN_MAX_AGE", "0")
    assert database_from_url("sqlite:///x.sqlite3", base_dir=tmp_path)["CONN_MAX_AGE"] == 0
