"""A review keeps its conversation's team (`Review.team`): set when it is made, by people or
AutoQA, moved with the conversation by an import, copied by the migration for the reviews
already there; the team pages read a team's reviews by it."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

from django.db import connection

from supportqa.autoqa.actions import enqueue_changed, work
from supportqa.conversations.models import Conversation
from supportqa.integrations.importer import import_conversations
from supportqa.reports.models import DirtyDay
from supportqa.reviews.models import Review, Source
from tests.conftest import submitted_review
from tests.test_importers import jsonl, record


def _teams_differ() -> list[tuple[int, int | None, int | None]]:
    return [
        (review.pk, review.team_id, review.conversation.team_id)
        for review in Review.objects.select_related("conversation")
        if review.team_id != review.conversation.team_id
    ]


def test_a_review_has_its_conversation_s_team_and_moves_with_it(cast):
    import_conversations(jsonl(record("t1")))
    conversation = Conversation.objects.get(external_id="t1")
    human = submitted_review(conversation, cast.qa)
    enqueue_changed()
    work("w")
    machine = Review.objects.get(source=Source.AUTOQA, conversation=conversation)
    assert Review.objects.get(pk=human.pk).team == machine.team == cast.team
    team_page = cast.client(cast.manager).get(f"/teams/{cast.team.code}/?days=30")
    assert team_page.context["panel"].iqs.n == 1

    report = import_conversations(jsonl(record("t1", team="Team B", subject="Moved")))
    assert report.updated == 1
    assert Conversation.objects.get(pk=conversation.pk).team == cast.other_team
    assert set(Review.objects.filter(conversation=conversation).values_list("team", flat=True)) == {
        cast.other_team.pk
    }
    assert _teams_differ() == []
    manager = cast.client(cast.manager)
    moved = manager.get(f"/teams/{cast.other_team.code}/?days=30").context["panel"]
    left = manager.get(f"/teams/{cast.team.code}/?days=30").context["panel"]
    assert (moved.iqs.n, left.iqs.n) == (1, 0)


def test_the_migration_copies_the_teams_and_marks_no_day(cast):
    for conversation in (cast.conversation, cast.other_conversation):
        submitted_review(conversation, cast.qa)
    enqueue_changed()
    work("w")
    assert Review.objects.filter(source=Source.AUTOQA).count() == 3
    Review.objects.update(team=None)
    DirtyDay.objects.all().delete()
    migration = importlib.import_module("supportqa.reviews.migrations.0010_review_team")
    with connection.cursor() as cursor:  # the statements of the migration's step, as they run
        migration.copy_teams(None, SimpleNamespace(connection=connection, execute=cursor.execute))
    assert _teams_differ() == []
    # AutoQA's triggers were off for the copy. (Agreement's, of autoqa 0014, come after this
    # migration: here, on today's schema, they mark the people's reviews' days.)
    assert not DirtyDay.objects.filter(kind="autoqa").exists()
    # and are back: an AutoQA review's change marks its day again.
    Review.objects.filter(source=Source.AUTOQA, conversation=cast.conversation).update(
        overall_comment="changed"
    )
    assert DirtyDay.objects.filter(kind="autoqa").exists()
