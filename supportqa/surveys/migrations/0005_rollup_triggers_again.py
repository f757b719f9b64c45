"""0004 added columns to both survey tables, which SQLite does by remaking them without their
triggers: the rollups' day marks are installed again (reports.marks.reinstall)."""

import importlib

from django.db import migrations

from supportqa.reports import marks

triggers = importlib.import_module("supportqa.reports.migrations.0002_rollup_triggers")


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0004_templates_and_follow_ups"),
        ("reports", "0002_rollup_triggers"),
    ]

    operations = [
        marks.reinstall(
            triggers.NAME,
            triggers.SQLITE_DAYS,
            triggers.POSTGRES_DAYS,
            ["surveys_surveysent", "surveys_surveyresponse"],
        )
    ]
