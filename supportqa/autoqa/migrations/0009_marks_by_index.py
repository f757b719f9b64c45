"""AutoQA's marking triggers on PostgreSQL find each written row's day by index. Before, they
joined the statement's rows to the reviews (and conversations), and with the hundreds or
thousands of rows of an AutoQA batch the planner chose a hash join over a sequential scan of
the whole review table: 30-70 ms a statement at 100,000 conversations, growing with the
table. Now they take the distinct reviews (or conversations) of the rows and look each one up
in a scalar subquery, which always uses the primary key. The days marked are the same; SQLite's
row-level triggers already read by key and are installed again unchanged."""

import importlib

from django.db import migrations

from supportqa.reports import marks

triggers = importlib.import_module("supportqa.autoqa.migrations.0003_rollup_triggers")

POSTGRES_OF_REVIEW = (
    "SELECT 'autoqa', (SELECT (c.created_at AT TIME ZONE 'UTC')::date FROM reviews_review v "
    "JOIN conversations_conversation c ON c.id = v.conversation_id "
    "WHERE v.id = r.review_id AND v.source = 'autoqa') "
    "FROM (SELECT DISTINCT r.review_id FROM {rows} r) r"
)
POSTGRES_DAYS = {
    **triggers.POSTGRES_DAYS,
    "reviews_review": (
        "SELECT 'autoqa', (SELECT (c.created_at AT TIME ZONE 'UTC')::date "
        "FROM conversations_conversation c WHERE c.id = r.conversation_id) "
        "FROM (SELECT DISTINCT r.conversation_id FROM {rows} r WHERE r.source = 'autoqa') r"
    ),
    "reviews_rating": POSTGRES_OF_REVIEW,
    "autoqa_finding": POSTGRES_OF_REVIEW,
}


class Migration(migrations.Migration):
    dependencies = [("autoqa", "0008_marks_hold_day_locks")]

    operations = [
        marks.reinstall(
            triggers.NAME,
            triggers.SQLITE_DAYS,
            POSTGRES_DAYS,
            ["reviews_review", "reviews_rating", "autoqa_finding"],
            mark=False,
        )
    ]
