"""Polling the RSS and Atom feeds of brand mentions: each feed when it is due, by one worker
(taking a poll is a compare-and-set on its next time, so several workers never poll a feed
twice), with its ETag and Last-Modified so an unchanged feed costs one small request. A feed
that fails keeps its error, shown on the social page, and is tried again next time."""

from __future__ import annotations

import http.client
import logging
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags

from supportqa import outbound
from supportqa.integrations.records import RecordInvalid, RowError
from supportqa.outbound import check_address
from supportqa.social.ingest import Ingested, PostRecord, ingest, post_record
from supportqa.social.models import Feed

logger = logging.getLogger(__name__)
TIMEOUT = 20  # seconds for one feed's request
MAX_BYTES = 5 * 1024 * 1024  # a larger feed is refused
DEADLINE = 60  # seconds a feed may take in all


def poll_due(now: datetime | None = None) -> int:
    """Poll every active feed that is due; returns how many new posts they gave."""
    now = now or timezone.now()
    added = 0
    due = Feed.objects.filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now), active=True)
    for feed in due:
        taken = Feed.objects.filter(pk=feed.pk, next_poll_at=feed.next_poll_at).update(
            next_poll_at=now + timedelta(minutes=feed.every_minutes)
        )
        if taken:
            try:
                added += poll(feed, now).created
            except Exception as error:  # one feed's surprise must not stop the worker
                logger.exception("feed %s", feed.code)
                Feed.objects.filter(pk=feed.pk).update(
                    last_polled_at=now, last_error=f"{type(error).__name__}: {error}"[:500]
                )
    return added


def poll(feed: Feed, now: datetime) -> Ingested:
    """Fetch one feed and ingest its new entries (source "feed:<code>")."""
    try:
        body, etag, modified = _fetch(feed)
    except (OSError, ValueError, urllib.error.URLError, http.client.HTTPException) as error:
        Feed.objects.filter(pk=feed.pk).update(last_polled_at=now, last_error=str(error)[:500])
        return Ingested()
    if body is None:  # 304: nothing new
        Feed.objects.filter(pk=feed.pk).update(last_polled_at=now, last_error="", last_new=0)
        return Ingested()
    parsed = feedparser.parse(body)
    result = ingest(_records(feed, parsed.entries))
    problem = ""
    if parsed.bozo and not parsed.entries:
        problem = f"not a feed: {parsed.get('bozo_exception', 'unreadable')}"[:500]
    elif result.errors:
        problem = f"{len(result.errors)} entries skipped; the first: {result.errors[0]}"[:500]
    Feed.objects.filter(pk=feed.pk).update(
        last_polled_at=now, last_error=problem, last_new=result.created,
        etag=etag[:200], modified=modified[:200],
    )  # fmt: skip
    return result


def _fetch(feed: Feed) -> tuple[bytes | None, str, str]:
    """The feed's body (None when unchanged), ETag and Last-Modified. Only http(s), also
    after redirects; no private, loopback or link-local address unless
    SUPPORTQA_FEEDS_PRIVATE_ADDRESSES (a feed is fetched by the server, inside its network);
    at most MAX_BYTES, within DEADLINE seconds in all."""
    private = settings.SUPPORTQA_FEEDS_PRIVATE_ADDRESSES
    check_address(feed.url, allow_private=private, what="feed's address")
    request = urllib.request.Request(feed.url, headers={"User-Agent": "SupportQA feed reader"})
    if feed.etag:
        request.add_header("If-None-Match", feed.etag)
    if feed.modified:
        request.add_header("If-Modified-Since", feed.modified)
    opener = outbound.opener(allow_private=private)
    started = time.monotonic()
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            pieces, size = [], 0
            while piece := response.read(64 * 1024):
                pieces.append(piece)
                size += len(piece)
                if size > MAX_BYTES:
                    raise ValueError(f"the feed is larger than {MAX_BYTES // (1024 * 1024)} MB")
                if time.monotonic() - started > DEADLINE:
                    raise ValueError(f"the feed took longer than {DEADLINE} seconds")
            headers = response.headers
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return None, feed.etag, feed.modified
        raise
    return b"".join(pieces), headers.get("ETag", "") or "", headers.get("Last-Modified", "") or ""


def _records(feed: Feed, entries: list[Any]) -> list[PostRecord | RowError]:
    out: list[PostRecord | RowError] = []
    for number, entry in enumerate(entries, start=1):
        posted = entry.get("published_parsed") or entry.get("updated_parsed")
        try:
            when = datetime(*posted[:6], tzinfo=UTC).isoformat() if posted else None
        except (ValueError, OverflowError, TypeError):
            out.append(RowError(number, "published", "is not a date"))
            continue
        raw = {
            "id": entry.get("id") or entry.get("link"),
            "posted_at": when,
            "text": strip_tags(
                " ".join(p for p in (entry.get("title"), entry.get("summary")) if p)
            ),
            "author": entry.get("author", ""),
            "brand": feed.brand,
            # (a guid without isPermaLink="false" comes back as the link: kept when a web one)
            "url": link
            if (link := entry.get("link", "")).startswith(("http://", "https://"))
            else "",
        }
        try:
            out.append(post_record(raw, number, f"feed:{feed.code}"))
        except RecordInvalid as invalid:
            out.append(RowError(number, invalid.field, invalid.reason))
    return out
