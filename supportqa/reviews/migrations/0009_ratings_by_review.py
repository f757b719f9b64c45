"""A review's ratings are found through `rating_by_review` (review, criterion, is_na, score,
option), which also holds what the dashboards read of them (reviews.models.Rating says why);
the rating's plain review index goes, as the new index leads with the same column. Created
before the plain one is dropped, so deleting a review always finds its ratings by index.
Dropped by name, found by introspection: an AlterField would make SQLite copy the whole
table, and the copy would lose the table's rollup triggers."""

from typing import Any

from django.db import migrations, models

TABLE, COLUMN = "reviews_rating", "review_id"
NAME = "reviews_rating_review_id_c6eb3899"  # Django's name, the same on both


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
        ("conversations", "0013_sample_slot_index"),
        ("reviews", "0008_calibration_session_without_plain_index"),
        ("scorecards", "0006_scorecard_kind"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="rating",
            index=models.Index(
                fields=["review", "criterion", "is_na", "score", "option"],
                name="rating_by_review",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="rating",
                    name="review",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="ratings",
                        to="reviews.review",
                    ),
                )
            ],
            database_operations=[migrations.RunPython(drop, create)],
        ),
    ]
