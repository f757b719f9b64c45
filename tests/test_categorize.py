"""Request categorization from the web: admins train on categorized conversations and apply."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportqa.conversations.models import Category, Conversation, Message
from supportqa.core.classify import load
from tests.conftest import make_conversation

PHRASES = {
    "Billing": ["I was charged twice for my invoice", "refund the duplicate payment please"],
    "Technical issue": ["the app crashes when I log in", "error 500 when I upload a file"],
    "Account": ["how do I change my email address", "I want to close my account"],
}


def labelled(cast, per_category: int = 12) -> None:
    for name, phrases in PHRASES.items():
        category, _ = Category.objects.get_or_create(name=name)
        for i in range(per_category):
            conversation = make_conversation(cast.agent, cast.team, f"{name}-{i}")
            conversation.category = category
            conversation.subject = ""
            conversation.save()
            Message.objects.filter(conversation=conversation, seq=0).update(
                text=f"{phrases[i % 2]} (ticket {i})"
            )


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_admin_trains_then_categorizes_what_has_no_category(cast, data_dir):
    labelled(cast)
    client = cast.client(cast.admin)
    response = client.post(reverse("categorize"), {"action": "train"}, follow=True)
    assert "right on" in response.content.decode()
    model = load(data_dir / "models" / "categorizer.joblib")  # the portable CLI file
    assert set(model.labels) >= set(PHRASES)
    fresh = make_conversation(cast.agent, cast.team, "uncategorized")
    fresh.category = None
    fresh.save()
    Message.objects.filter(conversation=fresh, seq=0).update(text="I was charged twice")
    client.post(reverse("categorize"), {"action": "apply", "minimum_confidence": "0.3"})
    fresh.refresh_from_db()
    assert fresh.category.name == "Billing"
    download = client.get(reverse("categorizer-download"))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")


def test_nothing_changes_below_the_confidence_asked_for(cast, data_dir):
    labelled(cast)
    client = cast.client(cast.admin)
    client.post(reverse("categorize"), {"action": "train"})
    before = Conversation.objects.filter(category__isnull=True).count()
    client.post(reverse("categorize"), {"action": "apply", "minimum_confidence": "1"})
    assert Conversation.objects.filter(category__isnull=True).count() == before


def test_too_little_data_and_bad_input_are_explained(cast, data_dir):
    client = cast.client(cast.admin)
    page = client.post(reverse("categorize"), {"action": "train"}, follow=True).content.decode()
    assert "at least two categories" in page
    page = client.post(
        reverse("categorize"), {"action": "apply", "minimum_confidence": "7"}, follow=True
    ).content.decode()
    assert "minimum_confidence" in page
    page = client.post(reverse("categorize"), {"action": "apply"}, follow=True).content.decode()
    assert "train the categorizer first" in page


@pytest.mark.parametrize("role", ["manager", "qa", "lead", "agent"])
def test_only_admins(cast, role, data_dir):
    client = cast.client(getattr(cast, role))
    assert client.get(reverse("categorize")).status_code == 404
    assert client.post(reverse("categorize"), {"action": "train"}).status_code == 404
    assert client.get(reverse("categorizer-download")).status_code == 404


def test_asking_for_embeddings_without_the_extra_is_explained(cast, data_dir, monkeypatch):
    from supportqa.core import classify

    monkeypatch.setattr(classify, "embeddings_available", lambda: False)
    labelled(cast)
    page = cast.client(cast.admin).post(
        reverse("categorize"), {"action": "train", "embeddings": "on"}, follow=True
    )
    assert "optional extra" in page.content.decode()
    assert not (data_dir / "models" / "categorizer.joblib").exists()


def test_categorizing_refreshes_repeat_contacts_and_queues_autoqa(cast, data_dir):
    """Two resolved requests of one customer a day apart become one category: FCR must now
    see the second as a repeat contact of the first, and AutoQA must score both again."""
    from datetime import timedelta

    from supportqa.autoqa.models import Job
    from supportqa.conversations.actions import refresh_repeat_contacts
    from supportqa.conversations.models import Customer

    labelled(cast)
    client = cast.client(cast.admin)
    client.post(reverse("categorize"), {"action": "train"})
    customer = Customer.objects.create(source="test", external_id="cust-1")
    pair = []
    for i in range(2):
        conversation = make_conversation(cast.agent, cast.team, f"again-{i}")
        conversation.category = None
        conversation.customer = customer
        conversation.created_at += timedelta(days=i)
        conversation.resolved_at = conversation.created_at + timedelta(hours=1)
        conversation.save()
        Message.objects.filter(conversation=conversation, seq=0).update(text="I was charged twice")
        pair.append(conversation)
    Job.objects.all().delete()
    client.post(reverse("categorize"), {"action": "apply", "minimum_confidence": "0.3"})
    first, second = (Conversation.objects.get(pk=c.pk) for c in pair)
    assert first.category == second.category
    assert first.repeat_contact_seconds == 23 * 3600  # resolved, then back a day later
    assert refresh_repeat_contacts(customer_ids=[customer.pk]) == 0  # nothing was stale
    queued = set(Job.objects.filter(status="pending").values_list("conversation_id", flat=True))
    assert {first.pk, second.pk} <= queued


def test_a_category_in_use_cannot_be_deleted(cast):
    from django.db.models import ProtectedError

    category = cast.conversation.category
    with pytest.raises(ProtectedError):
        category.delete()


def test_each_conversation_page_and_step_two_show_the_suggestion(cast, data_dir):
    """With the categorizer trained, its best category and probability, and a further topic
    when it sees one; a lead choosing another category says why."""
    from supportqa.conversations.categorize import suggest
    from supportqa.workflow.engine import WorkflowError, active_record, complete, start

    labelled(cast)
    cast.client(cast.admin).post(reverse("categorize"), {"action": "train"})
    fresh = make_conversation(cast.agent, cast.team, "fresh")
    fresh.category = None
    fresh.subject = ""
    fresh.save()
    Message.objects.filter(conversation=fresh, seq=0).update(text="I was charged twice")
    suggestion = suggest(fresh)
    assert suggestion.primary == "Billing" and suggestion.how == "the trained categorizer"
    assert 0.3 < suggestion.confidence <= 1
    page = cast.client(cast.qa).get(reverse("conversation-detail", args=[fresh.code]))
    assert f"Suggested category: <strong>Billing</strong> ({suggestion.confidence * 100:.0f}% " \
        "sure)" in page.content.decode()  # fmt: skip
    request = start(fresh)
    record = active_record(request)
    assert record.step.key == "categorize" and record.data["suggested"] == "Billing"
    account = Category.objects.get(name="Account")
    with pytest.raises(WorkflowError, match="say why not “Billing”, the suggestion"):
        complete(request, "categorize", by=cast.lead, data={"category": account.code})
    complete(request, "categorize", by=cast.lead, comment="The customer asks to close it.",
             data={"category": account.code,
                   "secondary": [Category.objects.get(name="Billing").code]})  # fmt: skip
    done = request.records.get(step__key="categorize")
    assert done.data["category"] == "Account" and done.data["how"] == "chosen by hand"
    assert done.data["secondary"] == ["Billing"] and done.comment.startswith("The customer")
    fresh.refresh_from_db()
    assert fresh.category == account


def test_a_retrained_categorizer_answers_afresh_and_the_page_reads_its_own_messages(cast, data_dir):
    """Answers are kept per request text for the model loaded, and dropped with it: after
    training on other labels the same text gets the new model's answer. The conversation
    page builds the request text from the transcript it has read: the same text, the same
    suggestion."""
    from supportqa.conversations.categorize import request_text, suggest

    labelled(cast)
    client = cast.client(cast.admin)
    client.post(reverse("categorize"), {"action": "train"})
    fresh = make_conversation(cast.agent, cast.team, "again")
    fresh.category = None
    fresh.save()
    Message.objects.filter(conversation=fresh, seq=0).update(text="I was charged twice")
    messages = list(fresh.messages.order_by("seq"))
    assert request_text(fresh, messages) == request_text(fresh)
    assert suggest(fresh, messages) == suggest(fresh)
    assert suggest(fresh).primary == "Billing"
    payments = Category.objects.create(name="Payments")
    Conversation.objects.filter(category__name="Billing").update(category=payments)
    client.post(reverse("categorize"), {"action": "train"})
    assert suggest(fresh).primary == "Payments"


def test_without_a_categorizer_keyword_rules_suggest_from_the_categorys_name(cast, data_dir):
    from supportqa.conversations.categorize import suggest

    Category.objects.get_or_create(name="Billing")
    fresh = make_conversation(cast.agent, cast.team, "words")
    Message.objects.filter(conversation=fresh, seq=0).update(text="A question about billing")
    suggestion = suggest(fresh)
    assert (suggestion.primary, suggestion.confidence) == ("Billing", None)
    assert suggestion.how.startswith("keyword rules")
    nothing = make_conversation(cast.agent, cast.team, "none")
    Message.objects.filter(conversation=nothing, seq=0).update(text="Hello there")
    Conversation.objects.filter(pk=nothing.pk).update(subject="")
    nothing.refresh_from_db()
    assert suggest(nothing) is None
