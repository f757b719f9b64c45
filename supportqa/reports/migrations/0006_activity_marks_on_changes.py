"""A conversation marks its agents' message days (the activity rollup) only when a column the
rollup reads changes (agent, team, channel, source), and finds the messages by their
conversation index whatever the planner's statistics say.

Before, every update did, repeat-contact updates of an import included: one statement per
updated row, each joining its conversation to the messages. Without fresh statistics (a new
database in its first import) PostgreSQL read the partial index of all agents' messages for
that join: 73 ms per statement at 490,000 messages, and an import of 50,000 conversations
ran for over a quarter of an hour instead of about a minute. The messages are read in a
subquery with OFFSET 0, which PostgreSQL neither flattens nor pushes the author condition
into, so only the conversation's own index can serve it."""

from django.db import migrations

from supportqa.reports import marks

SQLITE_DAYS = {
    "conversations_conversation": [
        (
            "activity",
            "SELECT DISTINCT substr(m.sent_at, 1, 10) AS d FROM conversations_message m "
            "WHERE m.conversation_id = r.id AND m.author_kind = 'agent'",
        )
    ],
}
POSTGRES_DAYS = {
    "conversations_conversation": (
        "SELECT DISTINCT 'activity', (m.sent_at AT TIME ZONE 'UTC')::date FROM {rows} r "
        "CROSS JOIN LATERAL (SELECT sent_at, author_kind FROM conversations_message "
        "WHERE conversation_id = r.id OFFSET 0) m WHERE m.author_kind = 'agent'"
    ),
}
CHANGES = {"conversations_conversation": ["agent_id", "team_id", "channel", "source"]}
NAME = "sqa_mark_activity"


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_activity_triggers")]

    operations = [
        marks.reinstall(
            NAME, SQLITE_DAYS, POSTGRES_DAYS, list(SQLITE_DAYS), changes=CHANGES, mark=False
        )
    ]
