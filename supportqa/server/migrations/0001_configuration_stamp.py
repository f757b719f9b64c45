"""The configuration's stamp and the triggers that renew it on every write to a configuration
table (supportqa.configured). SQLite drops a table's triggers when a migration remakes it (most
column changes do): the missing ones are installed again after every `migrate`
(ServerConfig.ready)."""

from typing import Any

from django.db import migrations

from supportqa import configured


def create(apps: Any, schema_editor: Any) -> None:
    for statement in configured.installing(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def drop(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for statement in configured.uninstalling(vendor):
        schema_editor.execute(statement)
    if vendor == "postgresql":
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
