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
    marks.install(
        schema_editor,
        autoqa_triggers.NAME,
        {TABLE: autoqa_triggers.SQLITE_DAYS[TABLE]},
        {TABLE: autoqa_by_index.POSTGRES_DAYS[TABLE]},
        mark=False,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_signed_in_sessions"),
        ("autoqa", "0009_marks_by_index"),
        ("conversations", "0013_sample_slot_index"),
        ("reviews", "0009_ratings_by_review"),
    ]

    operations = [
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
        migrations.RunPython(copy_teams, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(fields=["team", "source", "submitted_at"], name="review_by_team"),
        ),
    ]
