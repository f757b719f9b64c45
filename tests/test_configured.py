"""Configuration reads kept per process (supportqa.configured): served again only while the
database's stamp is the one they were read under, and every write to a configuration table,
however made, renews the stamp."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supportqa import configured
from supportqa.accounts.models import Organisation, Team
from supportqa.autoqa.models import AutoQASettings
from supportqa.conversations.models import Category
from supportqa.reports.models import RollupStamp
from supportqa.scorecards.models import Criterion, Scorecard
from supportqa.surveys.models import Template
from tests.conftest import chat_rubric


def stamp() -> int | None:
    return configured.stamp()


def test_every_configuration_table_keeps_its_triggers_after_all_migrations(db):
    """SQLite remakes a table to change most columns, without its triggers: a migration that
    changes one of these tables must install them again (`configured.install`)."""
    found = configured.triggers_in(connection)
    wanted = configured.trigger_names(connection.vendor)
    assert len(configured.TABLES) == 12 and not wanted - found, sorted(wanted - found)
    assert stamp() is not None


def test_migrate_installs_a_trigger_again_that_a_remade_table_lost(db):
    """On a fresh database the other apps' migrations run before the stamp's, so the test
    above cannot see a later migration remaking a table: every `migrate` checks instead."""
    lost = sorted(configured.trigger_names(connection.vendor))[0]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER {lost} ON {lost.removeprefix('configured_')}")
        else:
            cursor.execute(f"DROP TRIGGER {lost}")
    assert lost not in configured.triggers_in(connection)
    before = stamp()
    call_command("migrate", verbosity=0)
    assert lost in configured.triggers_in(connection)
    assert stamp() != before  # writes made without the trigger renewed nothing


@pytest.mark.parametrize(
    "write",
    [
        lambda: Organisation.objects.create(name="Acme"),
        lambda: Team.objects.filter(name="Team A").update(name="Team Alpha"),  # no signals
        lambda: AutoQASettings.objects.create(rules={"greetings": ["hello"]}),
        lambda: Category.objects.create(name="Refunds"),
        lambda: Category.objects.create(name="Gone").delete(),
        lambda: Scorecard.objects.get(slug="chat-quality").teams.add(Team.objects.first()),
        lambda: Scorecard.objects.filter(slug="chat-quality").update(priority=5),
        lambda: Criterion.objects.filter(section__version=chat_rubric()).update(name="Renamed"),
        lambda: RollupStamp.objects.create(definition="[]"),
        lambda: Template.objects.create(name="Post-chat", csat_scale=5),
    ],
    ids=["organisation", "team", "autoqa", "category", "category-deleted", "scorecard-teams",
         "scorecard", "criteria", "rollup-definition", "survey-template"],
)  # fmt: skip
def test_every_kind_of_write_to_the_configuration_renews_the_stamp(cast, write):
    before = stamp()
    write()
    assert stamp() != before


def test_a_raw_update_renews_the_stamp_and_a_rollback_brings_the_old_one_back(db):
    before = stamp()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE conversations_category SET position = position + 1")
        inside = stamp()
        transaction.set_rollback(True)
    assert inside != before and stamp() == before


def test_a_kept_read_is_served_from_memory_until_the_configuration_changes(db):
    Organisation.objects.create(name="Acme")
    calls = []

    def read():
        calls.append(1)
        return Organisation.objects.get_or_create(pk=1)[0].name

    with configured.reading():
        assert configured.kept("test-name", read) == configured.kept("test-name", read)
    with configured.reading():
        configured.kept("test-name", read)
    assert len(calls) == 1  # one read for three calls in two "requests"
    Organisation.objects.filter(pk=1).update(name="Renamed")  # a queryset update: no signal
    with configured.reading():
        assert configured.kept("test-name", read) == "Renamed"
    assert len(calls) == 2


def test_outside_a_page_view_every_read_goes_to_the_database(db):
    """A POST, a worker or a command: what a request writes and then reads agrees."""
    calls = []
    for _ in range(3):
        configured.kept("test-outside", lambda: calls.append(1))
    assert len(calls) == 3


def test_a_value_read_inside_a_rolled_back_change_is_not_served_after_it(db):
    """Nothing is kept inside a transaction: a page view that has read the stamp, then
    changes and reads the configuration in a transaction that rolls back, keeps nothing."""
    Organisation.objects.get_or_create(pk=1, defaults={"name": "Before"})
    with configured.reading():
        Category.names()  # the stamp is read
        with transaction.atomic():
            Organisation.objects.filter(pk=1).update(name="Never committed")
            assert Organisation.current().name == "Never committed"
            transaction.set_rollback(True)
        assert Organisation.current().name == "Before"
    with configured.reading():
        assert Organisation.current().name == "Before"


def test_a_value_the_page_view_itself_changed_while_reading_it_is_not_kept(db):
    """The organisation made on first use (get_or_create) by a page view whose writes are
    then undone: kept under the stamp read before the write, it would be served with no row
    behind it once the stamp came back."""
    Organisation.objects.all().delete()
    undo = transaction.savepoint()
    with configured.reading():
        Category.names()  # the stamp is read
        assert Organisation.current().pk == 1  # made now
    transaction.savepoint_rollback(undo)
    with configured.reading():
        Organisation.current()
    assert Organisation.objects.filter(pk=1).exists()  # read (and made) again, not served


def test_page_views_see_a_configuration_change_at_once_and_read_it_once(cast):
    """Blind review turned on by a queryset update (no signal, no save): the reviewer's next
    view of the conversation is blind. The view after it reads no configuration table."""
    client = cast.client(cast.qa)
    url = reverse("conversation-detail", args=[cast.conversation.code])
    assert not client.get(url).context["blind"]
    Organisation.objects.get_or_create(pk=1)
    Organisation.objects.filter(pk=1).update(blind_review=True)
    assert client.get(url).context["blind"]
    with CaptureQueriesContext(connection) as again:
        client.get(url)
    read = [
        q["sql"]
        for q in again.captured_queries
        if any(f'FROM "{table}"' in q["sql"] for table in configured.TABLES)
    ]
    assert read == []
    assert sum(configured.STAMP in q["sql"] for q in again.captured_queries) == 1


def test_a_post_reads_the_configuration_afresh(cast):
    """A form's POST reads what is in force, not a page view's kept read."""
    client = cast.client(cast.qa)
    url = reverse("conversation-detail", args=[cast.conversation.code])
    client.get(url)
    with CaptureQueriesContext(connection) as posted:
        client.post(url, {"action": "save"})
    assert not any(configured.STAMP in q["sql"] for q in posted.captured_queries)
    assert any('"accounts_organisation"' in q["sql"] for q in posted.captured_queries)
