"""Social media monitoring (issue #15 §3): the complaint rule, ingestion from files (the real
Twitter customer-care set among them), feeds and the signed webhook, deduplication, linking to
customers and conversations, triage, the daily control charts and their alerts."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from supportqa.conversations.models import Customer
from supportqa.core.social import is_complaint, read
from supportqa.notifications.models import Kind, Notification
from supportqa.social import feeds, trends
from supportqa.social.ingest import PostRecord, ingest, parse
from supportqa.social.models import Alert, Feed, Post

TWITTER = Path(__file__).resolve().parents[2] / "shared" / "data" / "twitter_customer_care"


def test_the_complaint_rule():
    assert is_complaint("@Brand still waiting for my refund", read("still waiting")[0])
    assert not is_complaint("@Brand thank you, the refund arrived!", 0.6)  # cue, happy tone
    assert is_complaint("@Brand this is a disgrace, absolutely furious", -0.8)
    assert not is_complaint("@Brand how do I change my plan? so sad", -0.6)  # a question
    assert read("@Brand great help, thanks")[1:] == (False, False)


# --- files ---------------------------------------------------------------------------------------


def test_a_csv_file_is_read_row_by_row_and_a_second_import_adds_nothing(db):
    data = (
        b"id,posted_at,text,author,brand\n"
        b"1,2026-11-01T10:00:00Z,@Brand still waiting for my refund,ann,@Brand\n"
        b"2,not a date,@Brand hello,bob,@Brand\n"
        b"3,2026-11-01T11:00:00Z,,cat,@Brand\n"
        b"1,2026-11-01T10:00:00Z,@Brand the same post again,ann,@Brand\n"
    )
    result = ingest(parse(data, "csv", "file"))
    assert result.created == 1
    assert [(e.line, e.field) for e in result.errors] == [(3, "posted_at"), (4, "text"), (5, "id")]
    post = Post.objects.get()
    assert (post.source, post.external_id, post.author, post.complaint) == (
        "file",
        "1",
        "ann",
        True,
    )
    again = ingest(parse(data, "csv", "file"))
    assert (again.created, again.unchanged) == (0, 1) and Post.objects.count() == 1


def test_jsonl_lines_name_their_problems(db):
    data = b'{"id": "a", "posted_at": "2026-11-02T09:00:00Z", "text": "hi"}\n{"id": 5\n'
    result = ingest(parse(data, "jsonl", "file"))
    assert result.created == 1 and result.errors[0].line == 2


@pytest.mark.skipif(not TWITTER.exists(), reason="../shared/data is beside the checkout in CI")
def test_the_twitter_customer_care_set_imports_every_customer_tweet_as_a_post(db):
    """IBM's Twitter customer-care dev set (PROVENANCE.md there): 525 dialogues; every tweet
    with a `client` is a customer's mention of the company's support account."""
    raw = (TWITTER / "dev.json").read_bytes()
    dialogues = json.loads(raw)
    customer_tweets = {
        m["tweet_ID"] for d in dialogues for m in d["dialogContent"] if "client" in m
    }
    result = ingest(parse(raw, "twitter", "twitter"))
    assert len(dialogues) == 525 and result.errors == []
    assert result.created == len(customer_tweets) == Post.objects.count()
    first = Post.objects.get(external_id="1245403438755852288")
    assert (first.author, first.brand) == ("CinVakas", "TeamYouTube")
    assert first.negative and first.complaint  # "suspended … no answer … :("
    assert Post.objects.filter(brand="AppleSupport").exists()
    share = Post.objects.filter(negative=True).count() / Post.objects.count()
    assert 0.2 < share < 0.6  # customer-care mentions skew negative, far from all of them


def test_a_known_customers_post_is_linked_to_their_nearest_conversation(cast):
    customer = Customer.objects.create(source="test", external_id="maria_l", name="Maria")
    cast.conversation.customer = customer
    cast.conversation.save()
    near = cast.conversation.created_at + timedelta(days=1)
    ingest([PostRecord(1, "file", "p1", "@Brand no reply to my chat", near, author="@Maria_L"),
            PostRecord(2, "file", "p2", "@Brand hello", near, author="someone")])  # fmt: skip
    linked = Post.objects.get(external_id="p1")
    assert linked.customer == customer and linked.conversation == cast.conversation
    assert linked.linked_by == "the author is a known customer"
    assert Post.objects.get(external_id="p2").customer is None


# --- trends and alerts ---------------------------------------------------------------------------


def posts_per_day(counts: list[int], complaint_from: int = 10**9) -> None:
    today = timezone.now().astimezone(UTC).date()
    records = []
    for back, count in zip(range(len(counts), 0, -1), counts, strict=True):
        day = datetime.combine(today - timedelta(days=back), datetime.min.time(), UTC)
        for i in range(count):
            text = "@Brand app not working" if i >= complaint_from else "@Brand thanks"
            records.append(PostRecord(i, "t", f"{back}-{i}", text, day + timedelta(hours=9)))
    ingest(records)


def test_a_day_above_its_control_limit_raises_one_alert(cast):
    quiet = [10, 12, 9, 11, 10, 13, 9, 10, 11, 12, 10, 9, 11, 10]
    posts_per_day([*quiet, 45], complaint_from=9)
    alerts = trends.check_alerts(timezone.now().astimezone(UTC).date())
    measures = {a.measure for a in alerts}
    assert {"Posts", "Complaints"} <= measures
    posts = Alert.objects.get(measure="Posts")
    assert posts.value == 45 and posts.upper < 45
    told = Notification.objects.filter(kind=Kind.SOCIAL_ALERT)
    assert set(told.values_list("user__username", flat=True)) == {"admin", "manager", "qa"}
    assert trends.check_alerts(timezone.now().astimezone(UTC).date()) == []  # once


def test_ordinary_days_raise_nothing(db):
    posts_per_day([10, 12, 9, 11, 10, 13, 9, 10, 11, 12])
    assert trends.check_alerts(timezone.now().astimezone(UTC).date()) == []


# --- feeds and the webhook -----------------------------------------------------------------------

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Mentions</title>
<item><guid>m-1</guid><title>@Brand the checkout is broken</title>
<description>&lt;p&gt;Tried three cards.&lt;/p&gt;</description><link>https://example.test/1</link>
<pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate></item>
<item><guid>m-2</guid><title>@Brand lovely service</title>
<pubDate>Mon, 30 Nov 2026 11:00:00 GMT</pubDate></item>
</channel></rss>"""


@pytest.fixture
def served(tmp_path, settings):
    """A local web server for the feeds (the test's own address is private: allowed here)."""
    import functools
    import http.server
    import threading

    settings.SUPPORTQA_FEEDS_PRIVATE_ADDRESSES = True
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


def test_feeds_are_polled_when_due_once_and_their_errors_kept(db, tmp_path, served):
    (tmp_path / "feed.xml").write_text(RSS)
    feed = Feed.objects.create(name="Mentions", url=f"{served}/feed.xml", brand="@Brand")
    broken = Feed.objects.create(name="Gone", url=f"{served}/none.xml")
    assert feeds.poll_due() == 2
    post = Post.objects.get(external_id="m-1")
    assert (
        post.source == f"feed:{feed.code}"
        and post.text == "@Brand the checkout is broken Tried three cards."
    )
    assert post.complaint and post.url == "https://example.test/1"
    assert feeds.poll_due() == 0  # not due again for 15 minutes
    later = timezone.now() + timedelta(minutes=16)
    assert feeds.poll_due(later) == 0  # due, but nothing new
    broken.refresh_from_db()
    assert broken.last_error and Post.objects.count() == 2


def test_the_webhook_takes_signed_posts_only(db, client, settings):
    body = b'{"id": "w1", "posted_at": "2026-11-30T10:00:00Z", "text": "@Brand down again"}\n'
    assert (
        client.post("/social/webhook/", body, content_type="application/x-ndjson").status_code
        == 404
    )
    settings.SUPPORTQA_SOCIAL_WEBHOOK_SECRET = "s3cret"
    unsigned = client.post("/social/webhook/", body, content_type="application/x-ndjson")
    assert unsigned.status_code == 401 and not Post.objects.exists()
    signature = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    signed = client.post("/social/webhook/", body, content_type="application/x-ndjson",
                         headers={"X-SupportQA-Signature": signature})  # fmt: skip
    assert signed.json() == {"created": 1, "unchanged": 0, "errors": []}
    assert Post.objects.get().source == "webhook"
    bad = b'{"id": "w2", "text": "no date"}\n'
    signed_bad = "sha256=" + hmac.new(b"s3cret", bad, hashlib.sha256).hexdigest()
    refused = client.post("/social/webhook/", bad, content_type="application/x-ndjson",
                          headers={"X-SupportQA-Signature": signed_bad})  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["errors"] == [{"line": 1, "field": "posted_at", "reason": "is required"}]


# --- pages ---------------------------------------------------------------------------------------


def test_the_quality_team_triages_and_links_posts(cast):
    ingest([PostRecord(1, "file", "p1", "@Brand still waiting for my refund", timezone.now())])
    post = Post.objects.get()
    qa = cast.client(cast.qa)
    page = qa.get("/social/").content.decode()
    assert "still waiting for my refund" in page and "complaint" in page
    assert cast.client(cast.lead).get("/social/").status_code == 404
    refused = qa.post(f"/social/{post.code}/", {"action": "triage", "outcome": "replied"})
    assert refused.status_code == 400 and "write the reply" in refused.content.decode()
    qa.post(f"/social/{post.code}/", {"action": "triage", "outcome": "replied",
                                      "reply": "Sorry! DM us your order number."})  # fmt: skip
    post.refresh_from_db()
    assert (post.triage, post.triaged_by) == (Post.Triage.REPLIED, cast.qa)
    qa.post(f"/social/{post.code}/", {"action": "link", "conversation": cast.conversation.code})
    post.refresh_from_db()
    assert post.conversation == cast.conversation and post.linked_by == cast.qa.name


def test_feeds_on_private_addresses_or_other_schemes_are_refused(db, tmp_path):
    (tmp_path / "feed.xml").write_text(RSS)
    local = Feed.objects.create(name="Local", url="http://127.0.0.1:9/feed.xml")
    file = Feed.objects.create(name="File", url=(tmp_path / "feed.xml").as_uri())
    assert feeds.poll_due() == 0 and not Post.objects.exists()
    local.refresh_from_db()
    file.refresh_from_db()
    assert "private address" in local.last_error
    assert "http:// or https://" in file.last_error


def test_an_entry_with_an_impossible_date_costs_that_entry_only(db, tmp_path, served):
    odd = RSS.replace("Mon, 30 Nov 2026 11:00:00 GMT", "0000-01-01T00:00:00Z")
    (tmp_path / "feed.xml").write_text(odd)
    Feed.objects.create(name="Mentions", url=f"{served}/feed.xml")
    assert feeds.poll_due() == 1
    assert "skipped" in Feed.objects.get().last_error


def test_a_signature_of_any_bytes_is_a_401(db, client, settings):
    settings.SUPPORTQA_SOCIAL_WEBHOOK_SECRET = "s3cret"
    body = b'{"id": "w1", "posted_at": "2026-11-30T10:00:00Z", "text": "hi"}\n'
    odd = client.post("/social/webhook/", body, content_type="application/x-ndjson",
                      headers={"X-SupportQA-Signature": "sha256=é"})  # fmt: skip
    assert odd.status_code == 401
