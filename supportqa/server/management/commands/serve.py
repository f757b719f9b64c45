from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def default_workers() -> int:
    """Gunicorn's rule of thumb, 2 × cores + 1, capped at 9."""
    return min(2 * (os.cpu_count() or 1) + 1, 9)


class Command(BaseCommand):
    help = (
        "Serve SupportQA in production with gunicorn: WORKERS processes on BIND, static files "
        "collected into the data folder and served by the app itself (whitenoise). Put it "
        "behind an HTTPS reverse proxy and set SUPPORTQA_HTTPS=true (README: Deploying). "
        "Refuses to start while migrations are unapplied."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", default="127.0.0.1:8000", help="host:port (default %(default)s)"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help="web processes (default %(default)s)",
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=60,
            help="seconds before a stuck request's worker is restarted",
        )
        parser.add_argument(
            "--access-log", default="-", help="file for the access log ('-': standard output)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        pending = MigrationExecutor(connection).migration_plan(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
        if pending:
            raise CommandError(
                f"{len(pending)} migrations are not applied: run `supportqa migrate` first"
            )
        call_command("collectstatic", interactive=False, verbosity=0)
        connection.close()  # the workers open their own connections after the fork
        from gunicorn.app.base import BaseApplication

        from supportqa.wsgi import application

        config = {
            "bind": options["bind"],
            "workers": options["workers"],
            "timeout": options["timeout"],
            "accesslog": options["access_log"],
            "forwarded_allow_ips": "127.0.0.1,::1" if settings.HTTPS else "",
            "proc_name": "supportqa",
        }

        class SupportQA(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        self.stdout.write(
            f"Serving SupportQA on http://{options['bind']}/ with {options['workers']} workers"
        )
        SupportQA().run()
