"""Timing helpers the benchmarks share: statements per request on every connection, the
median and p95 of repeated page views through Django's test client (in process, warm), and
the PostgreSQL database a benchmark runs in."""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any


class QueryCounter:
    """Counts statements on every connection, including those a page opens in worker threads
    (Django's CaptureQueriesContext sees only the calling thread's connection)."""

    def __init__(self) -> None:
        from django.db import connection
        from django.db.backends.signals import connection_created

        self.count = 0
        self._lock = threading.Lock()
        connection.ensure_connection()
        connection.execute_wrappers.append(self)
        connection_created.connect(self._attach, weak=False)

    def _attach(self, sender: Any, connection: Any, **kwargs: Any) -> None:
        connection.execute_wrappers.append(self)

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        with self._lock:
            self.count += 1
        return execute(sql, params, many, context)


def percentile_95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)]


def time_call(call: Any, repeat: int) -> tuple[float, float]:
    """(median ms, p95 ms) of `repeat` calls after one warm-up call."""
    call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), percentile_95(samples)


def time_pages(
    client: Any, paths: dict[str, str], repeat: int, counter: QueryCounter
) -> dict[str, tuple[float, float, int]]:
    """(median ms, p95 ms, queries per request) for each page."""
    results = {}
    for name, path in paths.items():
        queries = 0

        def view(path: str = path) -> None:
            nonlocal queries
            before = counter.count
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            if getattr(response, "streaming", False):
                for _ in response.streaming_content:
                    pass
            queries = counter.count - before

        median, p95 = time_call(view, repeat)
        results[name] = (median, p95, queries)
    return results


def create_postgres_database(url: str, fresh: bool) -> None:
    """Create the database named in `url` when missing (dropped first when `fresh`)."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or fresh:
            admin.execute(f'CREATE DATABASE "{name}"')
