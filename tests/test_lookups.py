"""`__in` with a long list of integers goes to PostgreSQL as one array (supportqa.lookups):
the rows are those of Django's own IN list, with nulls, negation and foreign keys."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportqa.conversations.models import Conversation, Message
from supportqa.lookups import LONG
from tests.conftest import make_conversation


def _sql_of(read) -> tuple[object, str]:
    with CaptureQueriesContext(connection) as captured:
        found = read()
    return found, captured[-1]["sql"]


def test_a_long_list_of_ids_reads_what_an_in_list_reads(cast):
    made = [make_conversation(cast.agent, cast.team, f"long{i}", messages=i % 3)
            for i in range(2 * LONG + 6)]  # fmt: skip
    ids = [c.pk for c in made]
    wanted = ids[::2] + [max(ids) + 1000, None]  # one that does not exist, and a null
    assert len(wanted) >= LONG
    everyone = set(Conversation.objects.values_list("pk", flat=True))

    found, sql = _sql_of(lambda: set(Conversation.objects.filter(pk__in=wanted).values_list(
        "pk", flat=True)))  # fmt: skip
    assert found == set(ids[::2])
    assert ("= ANY(" in sql) == (connection.vendor == "postgresql")

    left, sql = _sql_of(lambda: set(Conversation.objects.exclude(pk__in=wanted).values_list(
        "pk", flat=True)))  # fmt: skip
    assert left == everyone - set(ids[::2])

    by_key, sql = _sql_of(lambda: set(Message.objects.filter(conversation_id__in=wanted)
                                      .values_list("conversation_id", flat=True)))  # fmt: skip
    assert by_key == {c.pk for c in made[::2] if c.message_count}
    assert ("= ANY(" in sql) == (connection.vendor == "postgresql")
    by_object, sql = _sql_of(lambda: Message.objects.filter(conversation__in=made).count())
    assert by_object == sum(c.message_count for c in made) > 0
    assert ("= ANY(" in sql) == (connection.vendor == "postgresql")


def test_a_short_list_and_other_values_keep_django_s_in_list(cast):
    few, sql = _sql_of(lambda: list(Conversation.objects.filter(pk__in=[cast.conversation.pk])))
    assert few == [cast.conversation] and " IN (" in sql
    codes = [cast.conversation.code] * LONG
    by_code, sql = _sql_of(lambda: list(Conversation.objects.filter(code__in=codes)))
    assert by_code == [cast.conversation] and " IN (" in sql
    assert list(Conversation.objects.filter(pk__in=[])) == []


def test_a_long_list_of_other_values_is_prepared_as_django_prepares_it(cast):
    """Plain ints are taken as they are; anything else (text digits, model instances, bools)
    goes through Django's value-by-value preparation, and reads the same rows."""
    made = [make_conversation(cast.agent, cast.team, f"prep{i}") for i in range(LONG + 2)]
    ids = [c.pk for c in made]
    as_text = [str(pk) for pk in ids]
    assert set(Conversation.objects.filter(pk__in=as_text).values_list("pk", flat=True)) == set(ids)
    mixed = [*ids[:-1], str(ids[-1])]  # one value Django must convert
    assert Conversation.objects.filter(pk__in=mixed).count() == len(ids)
    assert (
        Message.objects.filter(conversation__in=made).count()
        == Message.objects.filter(conversation_id__in=ids).count()
    )
    lookup = Conversation.objects.filter(pk__in=tuple(ids)).query.where.children[0]
    assert lookup.rhs == ids  # the ints themselves, as a list, as Django gives them
