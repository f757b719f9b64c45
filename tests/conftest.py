"""The fixed cast: every access rule becomes a one-line test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from supportqa.accounts.models import Membership, Role, Team, User
from supportqa.conversations.models import Category, Conversation, Message
from supportqa.reviews.actions import RatingInput, save_review
from supportqa.reviews.models import Source
from supportqa.scorecards.models import Criterion, Scorecard

PASSWORD = "cast-password-123"
T0 = (datetime.now(UTC) - timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=0)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test client builds its middleware anew, and WhiteNoise's first act is to index every
    # static file the finders know (about 180, ~20 ms): a fifth of the suite's time. Told to
    # refresh, it looks a file up when one is asked for instead. Served as in production by
    # tests/test_serve.py (gunicorn) and the browser tests.
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(scope="session")
def _migrated_sqlite_file(tmp_path_factory) -> Path:
    """An SQLite file `supportqa migrate` made, once a session (it takes seconds)."""
    folder = tmp_path_factory.mktemp("migrated")
    path = folder / "migrated.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "SUPPORTQA_DATA_DIR": str(folder)}
    subprocess.run([sys.executable, "-m", "supportqa", "migrate", "-v0"], env=env, check=True)
    return path


@pytest.fixture
def migrated_sqlite(_migrated_sqlite_file):
    """`migrated_sqlite(path)` puts a copy of a freshly migrated SQLite database at `path`,
    for tests that run the command line in processes of their own."""

    def copy_to(path: Path) -> Path:
        shutil.copyfile(_migrated_sqlite_file, path)
        return path

    return copy_to


def make_user(username: str, role: str, team: Team | None = None, lead: bool = False) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=role,
        display_name=username.title(),
        email=f"{username}@example.test",
    )
    if team is not None:
        Membership.objects.create(user=user, team=team, is_lead=lead)
    return user


def make_conversation(
    agent: User, team: Team, external_id: str, *, messages: int = 4, created: datetime | None = None
) -> Conversation:
    created = created or T0
    conversation = Conversation.objects.create(
        source="test",
        external_id=external_id,
        agent=agent,
        team=team,
        channel="chat",
        subject=f"Subject {external_id}",
        created_at=created,
        first_response_at=created + timedelta(minutes=2),
        category=Category.objects.first(),
        message_count=messages,
    )
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            seq=i,
            author_kind="customer" if i % 2 == 0 else "agent",
            author=None if i % 2 == 0 else agent,
            sent_at=created + timedelta(minutes=2 * i),
            text=f"message {i}",
        )
        for i in range(messages)
    )
    return conversation


@dataclass
class Cast:
    admin: User
    manager: User
    qa: User
    lead: User
    agent: User
    teammate: User
    other_agent: User
    peer: User
    outsider: User
    team: Team
    other_team: Team
    conversation: Conversation  # agent's
    teammate_conversation: Conversation
    other_conversation: Conversation  # other team's

    def client(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture
def cast(db) -> Cast:
    team = Team.objects.create(name="Team A")
    other_team = Team.objects.create(name="Team B")
    agent = make_user("agent", Role.AGENT, team)
    teammate = make_user("teammate", Role.AGENT, team)
    other_agent = make_user("other", Role.AGENT, other_team)
    return Cast(
        admin=make_user("admin", Role.ADMIN),
        manager=make_user("manager", Role.MANAGER),
        qa=make_user("qa", Role.QA),
        lead=make_user("lead", Role.LEAD, team, lead=True),
        agent=agent,
        teammate=teammate,
        other_agent=other_agent,
        peer=make_user("peer", Role.PEER, team),
        outsider=make_user("outsider", Role.SHOPPER),
        team=team,
        other_team=other_team,
        conversation=make_conversation(agent, team, "c-agent"),
        teammate_conversation=make_conversation(teammate, team, "c-teammate"),
        other_conversation=make_conversation(other_agent, other_team, "c-other"),
    )


def chat_rubric():
    return Scorecard.objects.get(slug="chat-quality").current_version()


def full_ratings(version, position: int = 0) -> dict[str, RatingInput]:
    return {
        c.code: RatingInput(option_position=position)
        for c in Criterion.objects.filter(section__version=version)
    }


def submitted_review(
    conversation: Conversation,
    reviewer: User,
    position: int = 0,
    ratings: dict[str, RatingInput] | None = None,
):
    """Submit a chat-rubric QA review: every criterion at `position`, or the given ratings."""
    version = chat_rubric()
    return save_review(
        conversation=conversation,
        reviewer=reviewer,
        source=Source.QA,
        version=version,
        ratings=ratings if ratings is not None else full_ratings(version, position),
        submit=True,
    )


def queue_for(cast: Cast, reviewer: User, conversations: int, quota: int) -> None:
    """`conversations` new ones of the agent's team (the last hours) and a weekly cycle run
    now that assigns up to `quota` of them to `reviewer`."""
    from supportqa.assignments.actions import run_cycle
    from supportqa.assignments.models import AssignmentCycle, CycleReviewer

    now = timezone.now()
    for i in range(conversations):
        make_conversation(cast.agent, cast.team, f"q{i}", created=now - timedelta(hours=i + 1))
    cycle = AssignmentCycle.objects.create(
        name="Weekly", team=cast.team, created_by=cast.lead, next_run_at=now
    )
    CycleReviewer.objects.create(cycle=cycle, reviewer=reviewer, quota=quota)
    run_cycle(cycle=cycle, now=now)
