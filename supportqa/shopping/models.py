"""Mystery shopping (PRODUCT.md §3.9): scenarios a shopper plays, their assignments, and the
contact each one recorded. A shop's evaluation is a review of its own source (mystery shop)
on the scenario's evaluation form: shown beside the other sources, never part of IQS."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from supportqa.codes import new_code
from supportqa.conversations.models import Channel


class Scenario(models.Model):
    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    name = models.CharField(max_length=150)
    objective = models.TextField(help_text="What the shop finds out, e.g. whether refunds are "
                                 "explained correctly on the phone.")  # fmt: skip
    script = models.TextField(help_text="What the shopper says and asks, step by step.")
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.PHONE)
    scorecard = models.ForeignKey(
        "scorecards.Scorecard",
        on_delete=models.PROTECT,
        related_name="scenarios",
        limit_choices_to={"kind": "mystery_shop"},
        help_text="The expected behaviours: a scorecard of the kind “mystery shop evaluation”.",
    )
    teams = models.ManyToManyField(
        "accounts.Team", blank=True, related_name="+", help_text="Teams targeted (none: all)."
    )
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="Agents targeted besides the teams' (none and no team: every agent).",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """A shop a shopper is to do by `due`; done when its contact and evaluation are recorded."""

    class State(models.TextChoices):
        ASSIGNED = "assigned", "To do"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="assignments")
    shopper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shop_assignments"
    )
    due = models.DateField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.ASSIGNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The contact, recorded by the shopper: a conversation of source "mystery_shop" whose
    # review (source mystery shop) is the evaluation.
    conversation = models.OneToOneField(
        "conversations.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mystery_shop",
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["state", "due"]
        indexes = [models.Index(fields=["shopper", "state", "due"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="done") | models.Q(conversation__isnull=False),
                name="done_shop_has_its_contact",
            )
        ]
