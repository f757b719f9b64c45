"""AutoQA's marking triggers installed again with the PostgreSQL function bodies that hold
their days' advisory locks until the writer commits (reports.marks.DAY_LOCK; reports
migration 0008 says why). SQLite's are the same."""

import importlib

from django.db import migrations

from supportqa.reports import marks

triggers = importlib.import_module("supportqa.autoqa.migrations.0003_rollup_triggers")


class Migration(migrations.Migration):
    dependencies = [("autoqa", "0007_hourly_rollups")]

    operations = [
        marks.reinstall(
            triggers.NAME,
            triggers.SQLITE_DAYS,
            triggers.POSTGRES_DAYS,
            list(triggers.SQLITE_DAYS),
            mark=False,
        )
    ]
