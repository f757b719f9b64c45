"""Triggers that mark the days of agents' messages (the activity rollup, reports.marks): a
message marks its sending day; a conversation that changes marks the sending days of its
agents' messages (they are counted under its agent, team and channel)."""

from django.db import migrations

from supportqa.reports import marks

SQLITE_DAYS = {
    "conversations_message": [
        ("activity", "CASE WHEN r.author_kind = 'agent' THEN substr(r.sent_at, 1, 10) END")
    ],
    "conversations_conversation": [
        (
            "activity",
            "SELECT DISTINCT substr(m.sent_at, 1, 10) AS d FROM conversations_message m "
            "WHERE m.conversation_id = r.id AND m.author_kind = 'agent'",
        )
    ],
}
POSTGRES_DAYS = {
    "conversations_message": (
        "SELECT 'activity', (r.sent_at AT TIME ZONE 'UTC')::date FROM {rows} r "
        "WHERE r.author_kind = 'agent'"
    ),
    "conversations_conversation": (
        "SELECT DISTINCT 'activity', (m.sent_at AT TIME ZONE 'UTC')::date FROM {rows} r "
        "JOIN conversations_message m ON m.conversation_id = r.id "
        "WHERE m.author_kind = 'agent'"
    ),
}
NAME = "sqa_mark_activity"


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_hourly_rollups"),
        ("conversations", "0009_erased_customers"),
    ]

    operations = [marks.operation(NAME, SQLITE_DAYS, POSTGRES_DAYS)]
