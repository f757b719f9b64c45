"""Outbound webhooks: queued with the change they tell of, signed, retried with back-off,
logged, sent again on request; and their admin page."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from supportqa.api import webhooks
from supportqa.api.models import Delivery, Webhook
from supportqa.reviews.actions import RatingInput, raise_dispute
from supportqa.reviews.models import Review
from tests.conftest import submitted_review
from tests.test_surveys import path_of, sent_survey, template  # noqa: F401 (a fixture)


class Receiver:
    """A local HTTP endpoint answering each post with the next status of `answers`."""

    def __init__(self, answers: list[int]) -> None:
        self.answers, self.posts = list(answers), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((self.headers, body))  # (names: any case)
                self.send_response(receiver.answers.pop(0) if receiver.answers else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.SUPPORTQA_WEBHOOKS_PRIVATE_ADDRESSES = True
    made = Receiver([])
    yield made
    made.close()


def hook(url: str, *events: str) -> Webhook:
    return Webhook.objects.create(url=url, secret=webhooks.new_secret(), events=list(events))


def test_a_submitted_review_is_queued_signed_and_delivered(cast, receiver):
    subscribed = hook(receiver.url, "review.submitted")
    hook(receiver.url, "dispute.raised")  # another event: nothing for it
    review = submitted_review(cast.conversation, cast.qa)
    delivery = Delivery.objects.get()
    assert delivery.webhook == subscribed and delivery.event == "review.submitted"
    assert delivery.payload["object"] == {
        "type": "review", "code": review.code, "url": f"/api/v1/reviews/{review.code}/"
    }  # fmt: skip
    assert delivery.payload["actor"] == cast.qa.code
    assert webhooks.deliver_due("w1") == 1
    headers, body = receiver.posts[0]
    assert json.loads(body)["id"] == delivery.payload["id"]
    assert headers["X-SupportQA-Event"] == "review.submitted"
    assert webhooks.verify(subscribed.secret, body, headers["X-SupportQA-Signature"])
    assert not webhooks.verify("another secret", body, headers["X-SupportQA-Signature"])
    assert not webhooks.verify(subscribed.secret, body + b" ", headers["X-SupportQA-Signature"])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("delivered", 204, 1)
    assert webhooks.deliver_due("w1") == 0  # nothing left


def test_a_change_rolled_back_is_never_announced(cast, receiver):
    hook(receiver.url, "review.submitted")
    with pytest.raises(RuntimeError), transaction.atomic():
        submitted_review(cast.conversation, cast.qa)
        raise RuntimeError("the surrounding write failed")
    assert not Review.objects.exists() and not Delivery.objects.exists()


def test_a_refused_delivery_is_retried_with_back_off_then_given_up(cast, receiver):
    hook(receiver.url, "review.submitted")
    receiver.answers = [500] * webhooks.ATTEMPTS
    submitted_review(cast.conversation, cast.qa)
    delivery = Delivery.objects.get()
    started = timezone.now()
    assert webhooks.deliver_due("w1") == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("pending", 500, 1)
    assert "answered 500" in delivery.error
    assert delivery.next_attempt_at >= started + timedelta(minutes=1)
    assert webhooks.deliver_due("w1") == 0  # not due yet
    for attempt in range(2, webhooks.ATTEMPTS + 1):
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        assert webhooks.deliver_due("w1") == 1
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
    assert delivery.status == "failed" and len(receiver.posts) == webhooks.ATTEMPTS
    again = webhooks.redeliver(delivery)
    assert webhooks.deliver_due("w1") == 1
    again.refresh_from_db()
    assert again.status == "delivered" and again.payload["id"] == delivery.payload["id"]


def test_private_addresses_are_refused_unless_allowed(cast, settings):
    settings.SUPPORTQA_WEBHOOKS_PRIVATE_ADDRESSES = False
    hook("http://127.0.0.1:9/hook", "review.submitted")
    submitted_review(cast.conversation, cast.qa)
    webhooks.deliver_due("w1")
    delivery = Delivery.objects.get()
    assert delivery.response_code is None and "private address" in delivery.error


def test_disputes_bad_scores_waiting_steps_and_imports_are_events(cast, receiver, template):  # noqa: F811
    from supportqa.integrations.importer import import_conversations
    from supportqa.workflow.engine import start

    hook(receiver.url, *webhooks.EVENTS)
    review = submitted_review(cast.conversation, cast.qa)
    criterion = review.ratings.first().criterion
    raise_dispute(review=review, by=cast.agent, reason="I did apologise",
                  proposals={criterion.code: RatingInput(option_position=1)})  # fmt: skip
    Client().post(path_of(sent_survey(cast, template)), {"step": "scores", "csat": "1", "nps": "8"})
    start(cast.teammate_conversation)
    line = json.dumps({
        "external_id": "W-1", "agent": "agent",
        "messages": [{"author_kind": "customer", "sent_at": "2026-11-01T10:00:00Z",
                      "text": "Hi"}],
    })  # fmt: skip
    import_conversations(line.encode(), source="api-test")
    events = set(Delivery.objects.values_list("event", flat=True))
    assert {"review.submitted", "dispute.raised", "survey.bad_score", "workflow.waiting",
            "import.finished"} <= events  # fmt: skip


def test_the_webhook_pages_are_for_admins_and_show_the_secret_once(cast, settings):
    admin = cast.client(cast.admin)
    assert cast.client(cast.manager).get("/webhooks/").status_code == 404
    refused = admin.post("/webhooks/", {"url": "ftp://example.test/", "events": ["review.edited"]})
    assert refused.status_code == 400 and "http:// or https://" in refused.content.decode()
    settings.SUPPORTQA_WEBHOOKS_PRIVATE_ADDRESSES = False
    private = admin.post("/webhooks/", {"url": "http://127.0.0.1/x", "events": ["review.edited"]})
    assert private.status_code == 400 and "private address" in private.content.decode()
    settings.SUPPORTQA_WEBHOOKS_PRIVATE_ADDRESSES = True
    made = admin.post(
        "/webhooks/", {"url": "http://127.0.0.1:9/x", "events": ["review.edited"]}, follow=True
    )
    created = Webhook.objects.get()
    assert made.status_code == 200 and created.secret in made.content.decode()
    assert created.secret not in admin.get("/webhooks/").content.decode()  # once only
    page = admin.get(f"/webhooks/{created.code}/")
    assert page.status_code == 200 and created.secret not in page.content.decode()
    admin.post(f"/webhooks/{created.code}/", {"action": "pause"})
    created.refresh_from_db()
    assert not created.active


def test_a_paused_webhook_keeps_its_deliveries_until_resumed(cast, receiver):
    subscribed = hook(receiver.url, "review.submitted")
    Webhook.objects.filter(pk=subscribed.pk).update(active=False)
    submitted_review(cast.conversation, cast.qa)  # an event while paused: kept
    assert webhooks.deliver_due("w1") == 0 and receiver.posts == []
    Webhook.objects.filter(pk=subscribed.pk).update(active=True)
    assert webhooks.deliver_due("w1") == 1 and len(receiver.posts) == 1


def test_an_unknown_host_is_refused_in_plain_words(cast, settings):
    settings.SUPPORTQA_WEBHOOKS_PRIVATE_ADDRESSES = False
    admin = cast.client(cast.admin)
    refused = admin.post("/webhooks/", {"url": "https://no-such-host.invalid/hook",
                                        "events": ["review.edited"]})  # fmt: skip
    page = refused.content.decode()
    assert refused.status_code == 400 and "no server called no-such-host.invalid" in page
    assert "Errno" not in page


def test_a_webhook_gets_a_new_secret_once_and_can_be_deleted(cast):
    admin = cast.client(cast.admin)
    made = hook("https://example.test/hook", "review.submitted")
    page = admin.post(f"/webhooks/{made.code}/", {"action": "secret"}, follow=True)
    made.refresh_from_db()
    assert made.secret in page.content.decode()
    assert made.secret not in admin.get(f"/webhooks/{made.code}/").content.decode()
    admin.post(f"/webhooks/{made.code}/", {"action": "delete"})
    assert not Webhook.objects.exists()
