from typing import Any

from django.contrib.admin.apps import AdminConfig
from django.db.backends.signals import connection_created


class SupportQAAdminConfig(AdminConfig):
    """Django's admin with SupportQA's site (admins only, every change audited); the first
    app, so project-wide database lookups and session settings are registered here."""

    default_site = "supportqa.admin_site.SupportQAAdminSite"

    def ready(self) -> None:
        from supportqa import lookups

        lookups.register()
        connection_created.connect(without_jit, dispatch_uid="supportqa-without-jit")
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
