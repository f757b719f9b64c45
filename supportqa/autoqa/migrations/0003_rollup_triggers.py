"""Triggers that mark the days whose AutoQA results change (supportqa.reports.marks): a day is
the creation day of the conversation the AutoQA review, rating or finding belongs to (people's
reviews mark nothing here)."""

from django.db import migrations

from supportqa.reports import marks

OF_REVIEW = (
    "(SELECT substr(c.created_at, 1, 10) FROM reviews_review v "
    "JOIN conversations_conversation c ON c.id = v.conversation_id "
    "WHERE v.id = r.review_id AND v.source = 'autoqa')"
)
SQLITE_DAYS = {
    "conversations_conversation": [("autoqa", "substr(r.created_at, 1, 10)")],
    "reviews_review": [
        (
            "autoqa",
            "(SELECT substr(c.created_at, 1, 10) FROM conversations_conversation c "
            "WHERE c.id = r.conversation_id AND r.source = 'autoqa')",
        )
    ],
    "reviews_rating": [("autoqa", OF_REVIEW)],
    "autoqa_finding": [("autoqa", OF_REVIEW)],
}
POSTGRES_OF_REVIEW = (
    "SELECT 'autoqa', (c.created_at AT TIME ZONE 'UTC')::date FROM {rows} r "
    "JOIN reviews_review v ON v.id = r.review_id "
    "JOIN conversations_conversation c ON c.id = v.conversation_id WHERE v.source = 'autoqa'"
)
POSTGRES_DAYS = {
    "conversations_conversation": (
        "SELECT 'autoqa', (r.created_at AT TIME ZONE 'UTC')::date FROM {rows} r"
    ),
    "reviews_review": (
        "SELECT 'autoqa', (c.created_at AT TIME ZONE 'UTC')::date FROM {rows} r "
        "JOIN conversations_conversation c ON c.id = r.conversation_id "
        "WHERE r.source = 'autoqa'"
    ),
    "reviews_rating": POSTGRES_OF_REVIEW,
    "autoqa_finding": POSTGRES_OF_REVIEW,
}
NAME = "sqa_mark_autoqa"


class Migration(migrations.Migration):
    dependencies = [
        ("autoqa", "0002_rollups"),
        ("reports", "0002_rollup_triggers"),
        ("reviews", "0004_review_revisions"),
    ]

    operations = [marks.operation(NAME, SQLITE_DAYS, POSTGRES_DAYS)]
