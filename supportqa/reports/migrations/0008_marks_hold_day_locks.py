"""On PostgreSQL the marking triggers hold their days' advisory locks until the writer commits
(reports.marks.DAY_LOCK), and a recomputation takes only the marks whose lock is free. Before,
a recomputation could take a mark an uncommitted writer had found already there, compute the
day without that writer's rows and leave it unmarked. The triggers of this app's migrations
are installed again with the new function bodies (SQLite's are the same)."""

import importlib

from django.db import migrations

from supportqa.reports import marks

days = importlib.import_module("supportqa.reports.migrations.0002_rollup_triggers")
activity = importlib.import_module("supportqa.reports.migrations.0005_activity_triggers")
changed = importlib.import_module("supportqa.reports.migrations.0006_activity_marks_on_changes")
ACTIVITY_SQLITE = {**activity.SQLITE_DAYS, **changed.SQLITE_DAYS}
ACTIVITY_POSTGRES = {**activity.POSTGRES_DAYS, **changed.POSTGRES_DAYS}


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_conversation_hours"),
        ("surveys", "0005_rollup_triggers_again"),
    ]

    operations = [
        marks.reinstall(
            days.NAME, days.SQLITE_DAYS, days.POSTGRES_DAYS, list(days.SQLITE_DAYS), mark=False
        ),
        marks.reinstall(
            activity.NAME,
            ACTIVITY_SQLITE,
            ACTIVITY_POSTGRES,
            list(ACTIVITY_SQLITE),
            changes=changed.CHANGES,
            mark=False,
        ),
    ]
