"""Rollups of AutoQA's agreement with people (autoqa.rollups AGREEMENT, its everyone's rows,
UNSURE_CHECK) under their own kind of marks, "agreement": the AutoQA page read a sample of
rating pairs on every view. Triggers mark the creation day of a conversation when a
person's review or rating of it changes and, when people reviewed it, when AutoQA's review,
rating or confidence changes or its creation time or agent. The days of the conversations
people reviewed already are marked and computed here.

Stop the workers while migrating, until the new code runs: an older process that
recomputes the marked days (of every kind) would take the new kind's marks without knowing
its rollups (`supportqa rollups check` names such a day, `rollups rebuild` mends it)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from supportqa.reports import marks

NAME = "sqa_mark_agreement"
PEOPLE = "('manager', 'qa', 'peer')"
# Reviews' rows `v` (or `r`) that change the pairs: people's, or AutoQA's of a conversation
# people reviewed.
PAIRED = (
    "({v}.source IN " + PEOPLE + " OR ({v}.source = 'autoqa' AND EXISTS (SELECT 1 FROM "
    "reviews_review p WHERE p.conversation_id = {v}.conversation_id AND p.source IN "
    + PEOPLE
    + ")))"
)
REVIEWED = (
    "EXISTS (SELECT 1 FROM reviews_review p WHERE p.conversation_id = r.id AND p.source IN "
    + PEOPLE
    + ")"
)
JOB_REVIEWED = REVIEWED.replace("= r.id", "= r.conversation_id")
SQLITE_DAYS = {
    "reviews_review": [
        (
            "agreement",
            "(SELECT substr(c.created_at, 1, 10) FROM conversations_conversation c "
            f"WHERE c.id = r.conversation_id AND {PAIRED.format(v='r')})",
        )
    ],
    "reviews_rating": [
        (
            "agreement",
            "(SELECT substr(c.created_at, 1, 10) FROM reviews_review v "
            "JOIN conversations_conversation c ON c.id = v.conversation_id "
            f"WHERE v.id = r.review_id AND {PAIRED.format(v='v')})",
        )
    ],
    "conversations_conversation": [
        ("agreement", f"(SELECT substr(r.created_at, 1, 10) WHERE {REVIEWED})")
    ],
    "autoqa_job": [
        (
            "agreement",
            "(SELECT substr(c.created_at, 1, 10) FROM conversations_conversation c "
            f"WHERE c.id = r.conversation_id AND {JOB_REVIEWED})",
        )
    ],
}
POSTGRES_DAYS = {
    "reviews_review": (
        "SELECT 'agreement', (SELECT (c.created_at AT TIME ZONE 'UTC')::date "
        "FROM conversations_conversation c WHERE c.id = r.conversation_id) "
        f"FROM (SELECT DISTINCT r.conversation_id FROM {{rows}} r WHERE {PAIRED.format(v='r')}) r"
    ),
    "reviews_rating": (
        "SELECT 'agreement', (SELECT (c.created_at AT TIME ZONE 'UTC')::date "
        "FROM reviews_review v JOIN conversations_conversation c ON c.id = v.conversation_id "
        f"WHERE v.id = r.review_id AND {PAIRED.format(v='v')}) "
        "FROM (SELECT DISTINCT r.review_id FROM {rows} r) r"
    ),
    "conversations_conversation": (
        "SELECT 'agreement', (r.created_at AT TIME ZONE 'UTC')::date FROM {rows} r "
        f"WHERE {REVIEWED}"
    ),
    "autoqa_job": (
        "SELECT 'agreement', (SELECT (c.created_at AT TIME ZONE 'UTC')::date "
        "FROM conversations_conversation c WHERE c.id = r.conversation_id) "
        f"FROM (SELECT DISTINCT r.conversation_id FROM {{rows}} r WHERE {JOB_REVIEWED}) r"
    ),
}
CHANGES = {"conversations_conversation": ["created_at", "agent_id"], "autoqa_job": ["confidence"]}


def install(apps, schema_editor):
    marks.install(schema_editor, NAME, SQLITE_DAYS, POSTGRES_DAYS, CHANGES, mark=False)
    day = (
        "(c.created_at AT TIME ZONE 'UTC')::date"
        if schema_editor.connection.vendor == "postgresql"
        else "substr(c.created_at, 1, 10)"
    )
    schema_editor.execute(
        f"INSERT INTO {marks.MARK} (kind, day) SELECT DISTINCT 'agreement', {day} "
        "FROM reviews_review v JOIN conversations_conversation c ON c.id = v.conversation_id "
        f"WHERE v.source IN {PEOPLE} AND NOT EXISTS (SELECT 1 FROM {marks.MARK} m "
        f"WHERE m.kind = 'agreement' AND m.day = {day})"
    )
    compute_marked_days()


def compute_marked_days():
    """The marked days of these rollups, computed with their live definitions, so no page
    view computes months of them. The models they read are at their latest state when this
    migration is new; should a later version's definitions not fit the schema of this point
    (a database upgraded through it), the computation is given up and the days stay marked,
    for the worker or a page view to compute."""
    from django.core.exceptions import FieldError
    from django.db import DatabaseError, transaction

    from supportqa.autoqa import rollups as autoqa_rollups
    from supportqa.reports import rollups
    from supportqa.reports.models import DirtyDay

    marked = DirtyDay.objects.filter(kind=autoqa_rollups.AGREEMENT_KIND)
    days = sorted(set(marked.values_list("day", flat=True)))
    if not days:
        return
    try:
        with transaction.atomic():
            for rollup in autoqa_rollups.ROLLUPS:
                if rollup.kind == autoqa_rollups.AGREEMENT_KIND:
                    rollups._recompute(rollup, days)
            marked.delete()
    except (DatabaseError, FieldError, LookupError):
        pass  # left marked


def uninstall(apps, schema_editor):
    marks.uninstall(schema_editor, NAME, list(SQLITE_DAYS))


class Migration(migrations.Migration):
    dependencies = [
        ("autoqa", "0013_everyones_rollups"),
        ("conversations", "0013_sample_slot_index"),
        ("reports", "0009_duration_days"),
        ("reviews", "0010_review_team"),
        ("scorecards", "0006_scorecard_kind"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AgreementEveryoneDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("criterion_key", models.CharField(max_length=64)),
                ("ours", models.FloatField()),
                ("theirs", models.FloatField()),
                ("pairs", models.IntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["day"], name="autoqa_agre_day_fdabb2_idx")],
            },
        ),
        migrations.CreateModel(
            name="AgreementEveryoneHour",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("criterion_key", models.CharField(max_length=64)),
                ("ours", models.FloatField()),
                ("theirs", models.FloatField()),
                ("pairs", models.IntegerField()),
                ("hour", models.SmallIntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(fields=["day", "hour"], name="autoqa_agre_day_0358b2_idx")
                ],
            },
        ),
        migrations.CreateModel(
            name="AgreementDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("criterion_key", models.CharField(max_length=64)),
                ("ours", models.FloatField()),
                ("theirs", models.FloatField()),
                ("pairs", models.IntegerField()),
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
            ],
            options={
                "indexes": [
                    models.Index(fields=["day"], name="autoqa_agre_day_535db8_idx"),
                    models.Index(fields=["agent", "day"], name="autoqa_agre_agent_i_ee415a_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="AgreementHour",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("criterion_key", models.CharField(max_length=64)),
                ("ours", models.FloatField()),
                ("theirs", models.FloatField()),
                ("pairs", models.IntegerField()),
                ("hour", models.SmallIntegerField()),
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
            ],
            options={
                "indexes": [
                    models.Index(fields=["day", "hour"], name="autoqa_agre_day_adb077_idx"),
                    models.Index(fields=["agent", "day"], name="autoqa_agre_agent_i_b45a1d_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="UnsureCheckDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("unsure", models.BooleanField()),
                ("conversations", models.IntegerField()),
                ("share_sum", models.FloatField()),
                ("share_sq", models.FloatField()),
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
            ],
            options={
                "indexes": [
                    models.Index(fields=["day"], name="autoqa_unsu_day_3dbcf3_idx"),
                    models.Index(fields=["agent", "day"], name="autoqa_unsu_agent_i_dadba3_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="UnsureCheckHour",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("unsure", models.BooleanField()),
                ("conversations", models.IntegerField()),
                ("share_sum", models.FloatField()),
                ("share_sq", models.FloatField()),
                ("hour", models.SmallIntegerField()),
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
            ],
            options={
                "indexes": [
                    models.Index(fields=["day", "hour"], name="autoqa_unsu_day_f90282_idx"),
                    models.Index(fields=["agent", "day"], name="autoqa_unsu_agent_i_3faa31_idx"),
                ],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
