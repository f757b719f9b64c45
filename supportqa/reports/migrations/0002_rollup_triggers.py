"""Triggers that mark the days whose conversations and surveys change (reports.marks)."""

from django.db import migrations

from supportqa.reports import marks

CONVERSATION_DAY = (
    "(SELECT substr(c.created_at, 1, 10) FROM conversations_conversation c "
    "WHERE c.id = r.conversation_id)"
)
SQLITE_DAYS = {
    "conversations_conversation": [("conversation", "substr(r.created_at, 1, 10)")],
    "surveys_surveysent": [
        ("sent", "substr(r.sent_at, 1, 10)"),
        ("conversation", CONVERSATION_DAY),
    ],
    "surveys_surveyresponse": [
        ("answer", "substr(r.answered_at, 1, 10)"),
        ("conversation", CONVERSATION_DAY),
        (
            "sent",
            "(SELECT substr(s.sent_at, 1, 10) FROM surveys_surveysent s WHERE s.id = r.survey_id)",
        ),
    ],
}
POSTGRES_CONVERSATION_DAY = (
    "SELECT 'conversation', (c.created_at AT TIME ZONE 'UTC')::date FROM {rows} r "
    "JOIN conversations_conversation c ON c.id = r.conversation_id"
)
POSTGRES_DAYS = {
    "conversations_conversation": (
        "SELECT 'conversation', (r.created_at AT TIME ZONE 'UTC')::date FROM {rows} r"
    ),
    "surveys_surveysent": (
        "SELECT 'sent', (r.sent_at AT TIME ZONE 'UTC')::date FROM {rows} r "
        f"UNION {POSTGRES_CONVERSATION_DAY}"
    ),
    "surveys_surveyresponse": (
        "SELECT 'answer', (r.answered_at AT TIME ZONE 'UTC')::date FROM {rows} r "
        f"UNION {POSTGRES_CONVERSATION_DAY} "
        "UNION SELECT 'sent', (s.sent_at AT TIME ZONE 'UTC')::date FROM {rows} r "
        "JOIN surveys_surveysent s ON s.id = r.survey_id"
    ),
}
NAME = "sqa_mark"


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("conversations", "0006_category_in_use_is_protected"),
        ("surveys", "0003_backfill_survey_team"),
    ]

    operations = [marks.operation(NAME, SQLITE_DAYS, POSTGRES_DAYS)]
