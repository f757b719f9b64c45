"""The configuration's stamp and the triggers that renew it on every write to a configuration
table (supportqa.configured). A later migration that makes SQLite remake one of those tables
(most column changes do) must install its triggers again: `configured.install(schema_editor,
[table])` at its end."""

from typing import Any

from django.db import migrations

from supportqa import configured


def create(apps: Any, schema_editor: Any) -> None:
    configured.install(schema_editor)


def drop(apps: Any, schema_editor: Any) -> None:
    configured.uninstall(schema_editor)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {configured.TRIGGER}_renew()")
    schema_editor.execute(f"DROP TABLE IF EXISTS {configured.STAMP}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_signed_in_sessions"),
        ("autoqa", "0012_finding_without_plain_review_index"),
        ("conversations", "0013_sample_slot_index"),
        ("reports", "0009_duration_days"),
        ("scorecards", "0006_scorecard_kind"),
        ("surveys", "0005_rollup_triggers_again"),
    ]

    operations = [migrations.RunPython(create, drop)]
