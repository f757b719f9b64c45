"""The kinds of import: the one registry that the command line, the web form, the importer and
the run page read. Each names its format's module (one per source format)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from supportqa.integrations import messages_csv, native, surveys, twitter, users


@dataclass(frozen=True)
class Kind:
    label: str
    # (file's bytes, source for records that name none) → records and RowErrors, in file order
    parse: Callable[[bytes, str], Iterable[Any]]
    default_source: str
    # Survey and user files are small: written in one transaction by this function. The
    # others are conversations, written in resumable batches by the importer.
    upsert: Callable[..., Any] | None = None


KINDS: dict[str, Kind] = {
    "native": Kind("Conversations — native JSONL", native.parse_file, "native"),
    "csv": Kind("Conversations — CSV, one row per message", messages_csv.parse_message_csv, "csv"),
    "twitter": Kind("Conversations — Twitter customer-care JSON", twitter.parse_twitter, "twitter"),
    "surveys": Kind(
        "Survey responses — CSV", surveys.parse_surveys, "csv", surveys.upsert_survey_responses
    ),
    "users": Kind(
        "Users and teams — CSV", lambda data, _: users.parse_users(data), "", users.upsert_users
    ),
}
