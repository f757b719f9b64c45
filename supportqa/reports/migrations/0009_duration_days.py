"""The days' duration arrays (reports.durations), filled from the conversations here, so the
medians read them at once (no rollup day needs recomputing for them)."""

from collections import defaultdict
from typing import Any

import django.db.models.deletion
import numpy as np
from django.conf import settings
from django.db import migrations, models

SHOP_SOURCE = "mystery_shop"  # conversations.models: not customers' conversations


def _pack(values: list[int]) -> bytes:
    """Ascending little-endian 32-bit integers; a value past them (SQLite stores one) kept as
    the largest."""
    longest = np.iinfo("<i4").max
    return np.sort(np.minimum(np.asarray(values, dtype=np.int64), longest).astype("<i4")).tobytes()


def fill(apps: Any, schema_editor: Any) -> None:
    """Every duration of each UTC day, agent and team, as reports.durations.recompute writes
    them (ascending little-endian 32-bit integers, nulls left out)."""
    connection = schema_editor.connection
    day = (
        "substr(created_at, 1, 10)"
        if connection.vendor == "sqlite"
        else "(created_at AT TIME ZONE 'UTC')::date"
    )
    found: dict[tuple[Any, Any, Any], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No write between this read and the commit (its day's mark would be taken by a
            # worker of the previous version, which recomputes the sums only); SQLite's
            # migration already holds the one write lock.
            cursor.execute("LOCK TABLE conversations_conversation IN SHARE MODE")
        cursor.execute(
            f"SELECT {day}, agent_id, team_id, first_response_seconds, resolution_seconds "
            "FROM conversations_conversation WHERE source <> %s",
            [SHOP_SOURCE],
        )
        while rows := cursor.fetchmany(10_000):
            for key_day, agent, team, first, resolution in rows:
                arrays = found[str(key_day), agent, team]
                if first is not None:
                    arrays[0].append(first)
                if resolution is not None:
                    arrays[1].append(resolution)
    model = apps.get_model("reports", "DurationDay")
    model.objects.bulk_create(
        (
            model(
                day=key_day,
                agent_id=agent,
                team_id=team,
                first_response=_pack(first),
                resolution=_pack(resolution),
            )
            for (key_day, agent, team), (first, resolution) in found.items()
            if first or resolution
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_signed_in_sessions"),
        ("conversations", "0013_sample_slot_index"),
        ("reports", "0008_marks_hold_day_locks"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DurationDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("first_response", models.BinaryField()),
                ("resolution", models.BinaryField()),
                (
                    "agent",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.team",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["day"], name="reports_dur_day_3dc877_idx"),
                    models.Index(fields=["team", "day"], name="reports_dur_team_id_4f719b_idx"),
                    models.Index(fields=["agent", "day"], name="reports_dur_agent_i_a5340a_idx"),
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
