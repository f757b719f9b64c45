"""Daily rollups: the sufficient statistics of every dashboard figure, per UTC day.

Each table is derived from one family of raw rows (conversations by creation, survey answers
by answer time, surveys sent by sending time) and keyed by what a person's scope and the
dashboards filter or group by. Database triggers (migration 0002) mark the days whose raw rows
change in `DirtyDay`, whatever writes them (the importer's SQL, the ORM, a bulk update, a
cascade); `supportqa.reports.rollups` recomputes marked days before reading them and in the
worker, so a figure read from the rollups is always the figure of the raw rows.

Agents, teams and categories are plain columns (no foreign-key constraint): a rollup row is
derived data, and deleting a person or team changes the raw rows, which marks their days.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


def reference(model: str) -> models.ForeignKey:
    return models.ForeignKey(
        model,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )


class ConversationSums(models.Model):
    """Conversations created on `day`, per agent, team, channel, category, source and outcome
    (resolved or not): counts and sums of every conversation KPI, and the surveys sent for
    them, answered and satisfied (the survey-bias strata)."""

    day = models.DateField()
    agent = reference(settings.AUTH_USER_MODEL)
    team = reference("accounts.Team")
    channel = models.CharField(max_length=16)
    category = reference("conversations.Category")
    source = models.CharField(max_length=64)
    resolved = models.BooleanField()
    volume = models.IntegerField()
    reopened = models.IntegerField()
    first_contact = models.IntegerField()
    first_response_n = models.IntegerField()
    first_response_sum = models.BigIntegerField()
    resolution_sum = models.BigIntegerField()
    first_reply_within = models.IntegerField()
    first_reply_targeted = models.IntegerField()
    surveys_sent = models.IntegerField()
    surveys_answered = models.IntegerField()
    surveys_satisfied = models.IntegerField()

    class Meta:
        abstract = True


class ConversationDay(ConversationSums):
    class Meta:
        indexes = [
            models.Index(fields=["day"]),
            models.Index(fields=["team", "day"]),
            models.Index(fields=["agent", "day"]),
        ]


class ConversationDayByHour(ConversationSums):
    """The same per UTC hour of the day (0–23): read for a period's first and last days."""

    hour = models.SmallIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["day", "hour"]),
            models.Index(fields=["team", "day"]),
            models.Index(fields=["agent", "day"]),
        ]


class AnswerDay(models.Model):
    """Survey answers given on `day`, per agent and team: CSAT, NPS and CES counts and sums."""

    day = models.DateField()
    agent = reference(settings.AUTH_USER_MODEL)
    team = reference("accounts.Team")
    csat_n = models.IntegerField()
    csat_top = models.IntegerField()
    nps_n = models.IntegerField()
    promoters = models.IntegerField()
    detractors = models.IntegerField()
    ces_n = models.IntegerField()
    ces_sum = models.BigIntegerField()
    ces_sq = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["day"]),
            models.Index(fields=["team", "day"]),
            models.Index(fields=["agent", "day"]),
        ]


class SentDay(models.Model):
    """Surveys sent on `day`, per agent and team, and how many of them were answered."""

    day = models.DateField()
    agent = reference(settings.AUTH_USER_MODEL)
    team = reference("accounts.Team")
    sent = models.IntegerField()
    answered = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["day"]),
            models.Index(fields=["team", "day"]),
            models.Index(fields=["agent", "day"]),
        ]


class ConversationHour(models.Model):
    """Conversations created in UTC hour `hour` (0–23) of `day`, per agent, team and channel:
    the staffing forecast's hourly volumes."""

    day = models.DateField()
    hour = models.SmallIntegerField()
    agent = reference(settings.AUTH_USER_MODEL)
    team = reference("accounts.Team")
    channel = models.CharField(max_length=16)
    volume = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["day"]),
            models.Index(fields=["team", "day"]),
            models.Index(fields=["agent", "day"]),
        ]


class ActivityHour(models.Model):
    """Messages agents sent in UTC hour `hour` of `day`, per author and per the agent, team
    and channel of the conversation they were sent in: who worked each hour (the staffing
    plan's comparison), within any scope."""

    day = models.DateField()
    hour = models.SmallIntegerField()
    author = reference(settings.AUTH_USER_MODEL)
    agent = reference(settings.AUTH_USER_MODEL)
    team = reference("accounts.Team")
    channel = models.CharField(max_length=16)
    messages = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["day"]),
            models.Index(fields=["team", "day"]),
            models.Index(fields=["agent", "day"]),
        ]


class DurationDay(models.Model):
    """Every duration of the conversations created on `day` (UTC) per agent and team, sources
    other than mystery shopping, nulls left out: first-response and resolution seconds, each
    an ascending array of little-endian 32-bit integers (the columns are 32-bit). A median is
    not a sum of sums: a period's medians are taken over these arrays instead of every
    conversation (reports.durations). Kept by the conversations' marks, like their sums."""

    day = models.DateField()
    agent = reference(settings.AUTH_USER_MODEL)
    team = reference("accounts.Team")
    first_response = models.BinaryField()
    resolution = models.BinaryField()

    class Meta:
        indexes = [
            models.Index(fields=["day"]),
            models.Index(fields=["team", "day"]),
            models.Index(fields=["agent", "day"]),
        ]


class DirtyDay(models.Model):
    """A day whose raw rows changed since its rollup was computed. Written by the triggers
    only; `kind` is the family: conversation (creation day, which also holds the surveys sent
    for those conversations), answer, sent, activity (agents' messages by sending day), and
    the kinds of higher apps' rollups (autoqa)."""

    kind = models.CharField(max_length=16)
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "day"], name="one_mark_per_day")]


class RollupStamp(models.Model):
    """The settings the rollups were computed under (the first-contact window, the channels'
    first-reply targets, the rollup definition's version). When they change, every day is
    recomputed: no figure is ever read under other settings than the ones in force."""

    definition = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)


class ControlAlert(models.Model):
    """A team's real change on a control chart (a signal ending in the latest full week) that
    its leads were told of: once per team, measure, week and direction."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    measure = models.CharField(max_length=40)
    week = models.DateField()  # the Monday of the signal's last week
    direction = models.CharField(max_length=8, blank=True)  # "up", "down" or ""
    explanation = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "measure", "week", "direction"], name="one_control_alert"
            )
        ]
