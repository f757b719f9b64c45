"""Reviews keep their conversation's team (`Review.team`), so a team's reviews of a period are
read by index rather than by joining every review of the period to its conversation.

The copy of the teams already there runs with AutoQA's marking triggers on the reviews taken
off and put back unchanged: through them, the update of every review would mark every day of
AutoQA's rollups, which read no team, and the first page view after the migration would
recompute months of days."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

from supportqa.reports import marks

autoqa_triggers = importlib.import_module("supportqa.autoqa.migrations.0003_rollup_triggers")
autoqa_by_index = importlib.import_module("supportqa.autoqa.migrations.0009_marks_by_index")
TABLE = "reviews_review"


def copy_teams(apps, schema_editor):
    marks.uninstall(schema_editor, autoqa_triggers.NAME, [TABLE])
    schema_editor.execute(
        "UPDATE reviews_review SET team_id = (SELECT c.team_id FROM conversations_conversation c"
        " WHERE c.id = reviews_review.conversation_id)"
    )
    put_triggers_back(apps, schema_editor)


def put_triggers_back(apps, schema_editor, tables=(TABLE,)):
    """AutoQA's triggers on these tables, as migrations 0003 (SQLite) and 0009 (PostgreSQL)
    installed them."""
    marks.uninstall(schema_editor, autoqa_triggers.NAME, list(tables))
    marks.install(
        schema_editor,
        autoqa_triggers.NAME,
        {t: autoqa_triggers.SQLITE_DAYS[t] for t in tables},
        {t: autoqa_by_index.POSTGRES_DAYS[t] for t in tables},
        mark=False,
    )


# When the migration is reversed, SQLite remakes the review table to drop the column: the
# remade table has no triggers, and the remaking fails while other tables' triggers read the
# table (AutoQA's on ratings and findings). Those are taken off before and all put back after.
READING = (TABLE, "reviews_rating", "autoqa_finding")


def take_reading_triggers_off(apps, schema_editor):
    marks.uninstall(schema_editor, autoqa_triggers.NAME, list(READING))


def put_reading_triggers_back(apps, schema_editor):
    put_triggers_back(apps, schema_editor, READING)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_signed_in_sessions"),
        ("autoqa", "0009_marks_by_index"),
        ("conversations", "0013_sample_slot_index"),
        ("reviews", "0009_ratings_by_review"),
    ]

    operations = [
        # Reversed last: after the column is dropped.
        migrations.RunPython(migrations.RunPython.noop, put_reading_triggers_back),
        migrations.AddField(
            model_name="review",
            name="team",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="accounts.team",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, take_reading_triggers_off),
        migrations.RunPython(copy_teams, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(fields=["team", "source", "submitted_at"], name="review_by_team"),
        ),
    ]
