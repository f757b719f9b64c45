import gc
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.contrib.admin.apps import AdminConfig
from django.core.signals import request_finished
from django.db.backends.signals import connection_created


class SupportQAAdminConfig(AdminConfig):
    """Django's admin with SupportQA's site (admins only, every change audited); the first
    app, so project-wide database lookups and session settings are registered here."""

    default_site = "supportqa.admin_site.SupportQAAdminSite"

    def ready(self) -> None:
        from supportqa import lookups

        lookups.register()
        connection_created.connect(without_jit, dispatch_uid="supportqa-without-jit")
        connection_created.connect(utc_timestamps, dispatch_uid="supportqa-utc-timestamps")
        request_finished.connect(FREEZER, dispatch_uid="supportqa-gc-freeze")
        super().ready()


def without_jit(sender: Any, connection: Any, **kwargs: Any) -> None:
    """PostgreSQL sessions compile no statement just in time. JIT starts at a plan's estimated
    cost, not a measured time, and compiling takes 100-300 ms on a 2-core machine: more than
    the statements it would speed up here. A first import of 50,000 conversations spent
    0.3 s a batch compiling the rollups' trigger statements (estimated costly on tables not
    yet analysed), and the dashboards aim at 100 ms. A SET on each new connection, not a
    startup option: connection poolers refuse or drop those, and it leaves PGOPTIONS alone."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")


def utc_timestamps(sender: Any, connection: Any, **kwargs: Any) -> None:
    """PostgreSQL's timestamps (with time zone) are read by `UtcTimestampLoader`, where
    Django's own loader parses each with a regular expression in Python and then replaces its
    zone: 4 µs a value against 1 µs (a dashboard reads thousands; a million-row export, two
    per row). Only when the session's zone is UTC, which Django sets under USE_TZ: Django
    then finds the loader's `timezone` its own and registers no other per cursor."""
    if connection.vendor == "postgresql" and connection.timezone == UTC:
        connection.connection.adapters.register_loader("timestamptz", utc_timestamp_loader())


@cache
def utc_timestamp_loader() -> type:
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    class UtcTimestampLoader(BaseTzLoader):
        """A timestamptz in PostgreSQL's ISO text form ("2026-12-04 23:38:49.467631+00") as
        an aware datetime in UTC, parsed by the standard library's C code; what Django's
        loader returns, to the microsecond (tests/test_bulk.py). Text the standard library
        does not read (infinity, a date BC, another DateStyle) goes to Django's loader,
        which raises its own errors."""

        timezone = UTC  # Django compares it with the connection's before each cursor

        def load(self, data: Any) -> datetime:
            try:
                return datetime.fromisoformat(bytes(data).decode()).astimezone(UTC)
            except ValueError:
                return super().load(data)  # type: ignore[no-any-return]

    return UtcTimestampLoader


class FreezeAfterWarmUp:
    """After the 1st, 10th and 100th response of a process, Python's collector runs once and
    then leaves every object alive at that point out of its later full collections
    (`gc.freeze`): the modules, compiled templates and caches a web process builds in its
    first requests (views import their statistics libraries on first use). Without it a full
    collection walked those hundreds of thousands of objects every few requests: /agents/ at
    a million conversations took 60 ms, and 210-250 ms on one request in four (its p95).
    Runs as the response is closed, after it has been sent."""

    AT = frozenset({1, 10, 100})

    def __init__(self) -> None:
        self.responses = 0

    def __call__(self, sender: Any, **kwargs: Any) -> None:
        self.responses += 1
        if self.responses in self.AT:
            gc.collect()
            gc.freeze()


FREEZER = FreezeAfterWarmUp()
