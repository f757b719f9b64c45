from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from supportqa import configured
from supportqa.codes import new_code
from supportqa.statements import ID, READS


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    PEER = "peer", "Peer reviewer"
    QA = "qa", "QA reviewer"
    LEAD = "lead", "Team lead"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"
    SHOPPER = "shopper", "Mystery shopper"


# Roles whose scope is every team in the organisation.
ORG_WIDE_ROLES = frozenset({Role.QA, Role.MANAGER, Role.ADMIN})
# AutoQA's own reviewer account (autoqa.actions.system_user): not a person to manage.
AUTOQA_USERNAME = "autoqa"
# People whose work is reviewed: they have an agent page. (Capabilities: permissions.py.)
AGENT_ROLES = frozenset({Role.AGENT, Role.PEER})


class SupportQAUserManager(UserManager["User"]):
    def get(self, *args: Any, **kwargs: Any) -> User:
        """`User.objects.get(pk=…)` alone, which signs in every request (Django's
        ModelBackend), through a statement compiled once; any other get as Django makes it
        (a related manager's, or one bound to another database, among them)."""
        pk = kwargs.get("pk")
        if (
            args
            or list(kwargs) != ["pk"]
            or not isinstance(pk, int)
            or not -(2**63) <= pk < 2**63
            or type(self) is not SupportQAUserManager
            or self.model is not User  # a migration's historical model
            or self._db
        ):
            return super().get(*args, **kwargs)
        found = READS.read(
            "user by id",
            lambda slots: User.objects.filter(pk=slots("pk", ID)).order_by(),
            pk=pk,
        )
        if not found:
            raise User.DoesNotExist("User matching query does not exist.")
        return found[0]  # type: ignore[no-any-return]

    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        extra["role"] = Role.ADMIN
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(max_length=150, blank=True)
    external_id = models.CharField(
        max_length=200, blank=True, help_text="Identifier of this person in the help desk."
    )
    time_zone = models.CharField(max_length=64, default="UTC")

    objects = SupportQAUserManager()

    class Meta:
        ordering = ["display_name", "username"]
        indexes = [models.Index(fields=["external_id"])]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_org_wide(self) -> bool:
        return self.role in ORG_WIDE_ROLES

    @property
    def is_agent(self) -> bool:
        return self.role in AGENT_ROLES

    def save(self, *args: object, **kwargs: object) -> None:
        # The admin role is the installation's administrator; nobody else enters the admin site.
        self.is_staff = self.is_superuser = self.role == Role.ADMIN
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Team(models.Model):
    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    name = models.CharField(max_length=120, unique=True)
    members = models.ManyToManyField(User, through="Membership", related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    is_lead = models.BooleanField(default=False)
    joined_at = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="one_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}{' (lead)' if self.is_lead else ''}"


class Shift(models.Model):
    """When an agent works: requests are assigned to agents on shift first (workflow step 3),
    and coaching sessions are planned outside shifts."""

    agent = models.ForeignKey(User, on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["agent", "starts_at"]
        indexes = [models.Index(fields=["agent", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            ),
            models.UniqueConstraint(fields=["agent", "starts_at"], name="one_shift_per_start"),
        ]

    def __str__(self) -> str:
        return f"{self.agent}: {self.starts_at:%d %b %H:%M} – {self.ends_at:%H:%M}"


class AgentSkill(models.Model):
    """How well an agent handles a category (used for assignment by expertise)."""

    agent = models.ForeignKey(User, on_delete=models.CASCADE, related_name="skills")
    category = models.ForeignKey("conversations.Category", on_delete=models.CASCADE)
    level = models.PositiveSmallIntegerField(default=3, help_text="1 (novice) to 5 (expert)")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "category"], name="one_skill_per_category"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="skill_level_1_to_5"
            ),
        ]


class Organisation(models.Model):
    """The organisation's own settings (one row; Administration → Organisation)."""

    name = models.CharField(max_length=150, default="Our support team")
    blind_review = models.BooleanField(
        default=False,
        help_text="Reviewers see neither AutoQA's results nor other reviews of a conversation "
        "until they have submitted their own (their judgement is not anchored by others').",
    )

    class Meta:
        verbose_name = "organisation"

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1  # one organisation per installation
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> Organisation:
        return configured.kept("organisation", lambda: cls.objects.get_or_create(pk=1)[0])


class RateWindow(models.Model):
    """Requests counted per key (e.g. "survey:<address>") and fixed time window, for pages
    anyone may open without signing in (accounts.throttle.over_limit). In the database, so
    every worker process counts together."""

    key = models.CharField(max_length=200)
    window = models.BigIntegerField()  # the window's start, in seconds since the epoch
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="rate_window_key")]


class SignedInSession(models.Model):
    """A browser a person signed in with (listed on their account page, where they can sign it
    out): written at login, removed at logout or when they sign it out."""

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    user_agent = models.CharField(max_length=300, blank=True)
    address = models.CharField(max_length=45, blank=True)
    signed_in_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-signed_in_at"]

    @property
    def browser(self) -> str:
        """ "Firefox on Windows" from the user agent, or the user agent itself."""
        agent = self.user_agent
        names = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
                 ("Safari/", "Safari"))  # fmt: skip
        systems = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
                   ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux"))  # fmt: skip
        name = next((shown for mark, shown in names if mark in agent), "")
        system = next((shown for mark, shown in systems if mark in agent), "")
        if name and system:
            return f"{name} on {system}"
        return name or system or agent or "unknown"
