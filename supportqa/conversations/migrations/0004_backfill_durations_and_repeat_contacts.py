"""Fill the derived columns added in 0003 for conversations that existed before it."""

from itertools import groupby

from django.db import migrations

from supportqa.conversations.models import derive_durations, repeat_contact_gaps


def backfill(apps, schema_editor):
    Conversation = apps.get_model("conversations", "Conversation")
    rows = list(Conversation.objects.order_by("customer_id", "category_id", "created_at", "pk"))
    for row in rows:
        row.first_response_seconds, row.resolution_seconds = derive_durations(
            row.created_at, row.first_response_at, row.resolved_at
        )
    for (customer_id, _), grouped in groupby(rows, key=lambda r: (r.customer_id, r.category_id)):
        group = list(grouped)
        if customer_id is None:  # unknown customers are never repeat contacts of each other
            continue
        gaps = repeat_contact_gaps([(r.created_at, r.resolved_at) for r in group])
        for row, gap in zip(group, gaps, strict=True):
            row.repeat_contact_seconds = gap
    Conversation.objects.bulk_update(
        rows, ["first_response_seconds", "resolution_seconds", "repeat_contact_seconds"],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("conversations", "0003_durations_and_repeat_contacts")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
