"""The reviews' calibration session loses its plain index (reviews.models.Review says why);
the partial unique index one_calibration_review_each still finds a session's reviews.
Dropped by name, found by introspection: an AlterField would make SQLite copy the whole
table, and the copy would lose the table's rollup triggers."""

from typing import Any

from django.db import migrations, models

TABLE, COLUMN = "reviews_review", "calibration_session_id"
NAME = "reviews_review_calibration_session_id_cf1485e3"  # Django's name, the same on both


def plain_indexes(schema_editor: Any) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        found = schema_editor.connection.introspection.get_constraints(cursor, TABLE)
    return [
        name
        for name, about in found.items()
        if about["index"] and not about["unique"] and about["columns"] == [COLUMN]
    ]


def drop(apps: Any, schema_editor: Any) -> None:
    for name in plain_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create(apps: Any, schema_editor: Any) -> None:
    if not plain_indexes(schema_editor):
        schema_editor.execute(f"CREATE INDEX {NAME} ON {TABLE} ({COLUMN})")


class Migration(migrations.Migration):
    dependencies = [
        ("calibration", "0001_initial"),
        ("reviews", "0007_reviewee_source_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="review",
                    name="calibration_session",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.deletion.CASCADE,
                        related_name="reviews",
                        to="calibration.calibrationsession",
                    ),
                )
            ],
            database_operations=[migrations.RunPython(drop, create)],
        )
    ]
