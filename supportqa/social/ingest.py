"""Posts in: parsing the file formats (CSV, JSONL, the Twitter customer-care JSON), and the one
write path every source uses (files, feeds, the webhook): deduplicated by (source, id), read
for sentiment and complaints, put in a category and linked to a customer and conversation.

CSV and JSONL fields: `id` and `posted_at` (ISO-8601) and `text` required; `author`, `brand`,
`url` and `source` optional (docs/voice-of-customer.md). A bad row costs that row only and is
reported with its line, field and reason."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q

from supportqa.conversations.categorize import suggest_text
from supportqa.conversations.models import Category, Conversation, Customer
from supportqa.core import social
from supportqa.core.jsontext import json_problem, load_json
from supportqa.integrations.csvrows import csv_records
from supportqa.integrations.native import decode_lines
from supportqa.integrations.records import (
    MAX_TEXT,
    RecordInvalid,
    RowError,
    text_field,
    timestamp_field,
)
from supportqa.integrations.twitter import json_items
from supportqa.social.models import Post

FORMATS = ("csv", "jsonl", "twitter")
SURE = 0.5  # the categorizer's probability a post's category needs
LINK_WINDOW = timedelta(days=3)  # a customer's conversation this close to the post is its own


@dataclass
class PostRecord:
    line: int
    source: str
    external_id: str
    text: str
    posted_at: datetime
    author: str = ""
    brand: str = ""
    url: str = ""


@dataclass
class Ingested:
    created: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)  # the new ones


def post_record(raw: Any, line: int, default_source: str) -> PostRecord:
    if not isinstance(raw, dict):
        raise RecordInvalid("-", "a post is an object of fields")
    url = text_field(raw.get("url"), "url", limit=1000)
    if url and not url.startswith(("http://", "https://")):
        raise RecordInvalid("url", "must start with http:// or https://")
    posted_at = timestamp_field(raw.get("posted_at"), "posted_at")
    assert posted_at is not None
    return PostRecord(
        line=line,
        source=text_field(raw.get("source"), "source", limit=64) or default_source,
        external_id=text_field(raw.get("id"), "id", required=True),
        text=text_field(raw.get("text"), "text", required=True, limit=MAX_TEXT),
        posted_at=posted_at,
        author=text_field(raw.get("author"), "author"),
        brand=text_field(raw.get("brand"), "brand", limit=120),
        url=url,
    )


def parse(data: bytes, kind: str, default_source: str) -> Iterator[PostRecord | RowError]:
    """The records of a file in one of FORMATS."""
    if kind == "csv":
        yield from csv_records(
            data,
            ("id", "posted_at", "text"),
            lambda row, line: post_record(row, line, default_source),
            unique=(("id", lambda r: (r.source, r.external_id), "the same post again"),),
        )
    elif kind == "jsonl":
        for number, text in decode_lines(io.BytesIO(data)):
            if isinstance(text, RowError):
                yield text
            elif text.strip():
                yield from _one(text, number, default_source)
    elif kind == "twitter":
        yield from _twitter(data)
    else:
        raise ValueError(f"no post format {kind!r} (formats: {', '.join(FORMATS)})")


def _one(text: str, number: int, source: str) -> Iterator[PostRecord | RowError]:
    try:
        yield post_record(load_json(text), number, source)
    except ValueError as exc:
        if isinstance(exc, RecordInvalid):
            yield RowError(number, exc.field, exc.reason)
        else:
            yield RowError(number, "-", json_problem(exc))


def _twitter(data: bytes) -> Iterator[PostRecord | RowError]:
    """The Twitter customer-care dialogues (IBM's Conversational Document Prediction data):
    every customer tweet is a post mentioning the company's support account."""
    for item in json_items(data):
        if isinstance(item, RowError):
            yield item
            continue
        number, dialogue = item
        try:
            brand = text_field(dialogue["dialogHeader"]["company"], "dialogHeader.company")
            messages = dialogue["dialogContent"]
            if not isinstance(messages, list):
                raise RecordInvalid("dialogContent", "must be a list")
        except (KeyError, TypeError):
            yield RowError(number, "dialogHeader", "a dialogue needs its header and content")
            continue
        except RecordInvalid as exc:
            yield RowError(number, exc.field, exc.reason)
            continue
        for message in messages:
            if not isinstance(message, dict) or "client" not in message:
                continue  # the company's own tweets are not mentions
            raw = {"id": message.get("tweet_ID"), "posted_at": message.get("datetime"),
                   "text": message.get("message"), "author": message.get("client"),
                   "brand": brand}  # fmt: skip
            try:
                yield post_record(raw, number, "twitter")
            except RecordInvalid as exc:
                yield RowError(number, f"dialogContent.{exc.field}", exc.reason)


def ingest(records: Iterable[PostRecord | RowError]) -> Ingested:
    """Write the new posts (a post already stored under its source and id is left as it is),
    in one transaction per 500."""
    result = Ingested()
    batch: list[PostRecord] = []
    for record in records:
        if isinstance(record, RowError):
            result.errors.append(record)
            continue
        batch.append(record)
        if len(batch) == 500:
            _write(batch, result)
            batch = []
    _write(batch, result)
    return result


def _write(records: list[PostRecord], result: Ingested) -> None:
    if not records:
        return
    with transaction.atomic():
        query = Q(pk__in=[])
        for source in {r.source for r in records}:
            ids = [r.external_id for r in records if r.source == source]
            query |= Q(source=source, external_id__in=ids)
        stored = set(Post.objects.filter(query).values_list("source", "external_id"))
        fresh = []
        categories = {c.name: c for c in Category.objects.filter(is_active=True)}
        for record in records:
            key = (record.source, record.external_id)
            if key in stored:
                result.unchanged += 1
                continue
            stored.add(key)
            fresh.append(_post(record, categories))
        _link(fresh)
        Post.objects.bulk_create(fresh)
        result.created += len(fresh)
        result.posts.extend(fresh)


def _post(record: PostRecord, categories: dict[str, Category]) -> Post:
    compound, negative, complaint = social.read(record.text)
    return Post(
        source=record.source,
        external_id=record.external_id,
        brand=record.brand,
        author=record.author,
        text=record.text,
        url=record.url,
        posted_at=record.posted_at,
        sentiment=compound,
        negative=negative,
        complaint=complaint,
        category=_category(record.text, categories),
    )


def _category(text: str, categories: dict[str, Category]) -> Category | None:
    """The category the request categorizer (or, without one, the keyword rules) suggests
    for the post: conversations.categorize, the same suggestion requests get."""
    suggestion = suggest_text(text, set(categories))
    if suggestion is None or (suggestion.confidence or 1.0) < SURE:
        return None  # a post about nothing the categories cover stays without one
    return categories.get(suggestion.primary)


def _link(posts: list[Post]) -> None:
    """A post whose author is a known customer (their id in any source, as given or in lower
    case, with or without the @ of a handle) is theirs; their
    conversation within LINK_WINDOW of the post, the nearest, is its conversation."""
    handles = {p.author.lstrip("@") for p in posts if p.author.lstrip("@")}
    spellings = {h for handle in handles for h in (handle, handle.lower())}
    customers = {
        c.external_id.lower().lstrip("@"): c
        for c in Customer.objects.filter(external_id__in=spellings | {f"@{h}" for h in spellings})
    }
    for post in posts:
        customer = customers.get(post.author.lower().lstrip("@"))
        if customer is None:
            continue
        post.customer = customer
        post.linked_by = "the author is a known customer"
        near = Conversation.objects.filter(
            customer=customer,
            created_at__gte=post.posted_at - LINK_WINDOW,
            created_at__lte=post.posted_at + LINK_WINDOW,
        ).values_list("pk", "created_at")
        best = min(near, key=lambda row: abs(row[1] - post.posted_at), default=None)
        if best is not None:
            post.conversation_id = best[0]
