"""Survey responses CSV (`supportqa import surveys`): parsing and writing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import Q

from supportqa.conversations.models import Conversation
from supportqa.integrations.csvrows import csv_records
from supportqa.integrations.records import (
    FUTURE_SLACK,
    RecordInvalid,
    RowError,
    int_field,
    text_field,
    timestamp_field,
)
from supportqa.integrations.upserts import Refused, Tally, update_if_changed, write_each
from supportqa.surveys.models import SurveyResponse, SurveySent


@dataclass
class SurveyRecord:
    line: int
    source: str
    external_id: str
    conversation_source: str
    conversation_id: str
    answered_at: datetime
    csat: int | None = None
    csat_scale: int = 5
    nps: int | None = None
    ces: int | None = None
    comment: str = ""
    sent_at: datetime | None = None
    warnings: list[tuple[str, str]] = field(default_factory=list)  # like ConversationRecord's


SURVEY_REQUIRED = ("response_id", "conversation_id", "answered_at")


def parse_surveys(data: bytes, default_source: str = "csv") -> Iterator[SurveyRecord | RowError]:
    def build(row: dict[str, str], line: int) -> SurveyRecord:
        return _survey_record(row, line, default_source)

    return csv_records(
        data,
        SURVEY_REQUIRED,
        build,
        unique=[
            ("response_id", lambda r: r.external_id, "duplicate id"),
            (
                "conversation_id",
                lambda r: (r.conversation_source, r.conversation_id),
                "a second response for this conversation: one survey per conversation has one "
                "response",
            ),
        ],
    )


def _survey_record(row: dict[str, str], line: int, source: str) -> SurveyRecord:
    scale = _csat_scale(row.get("csat_scale"))
    answered = timestamp_field(row.get("answered_at"), "answered_at")
    assert answered is not None
    record = SurveyRecord(
        line=line,
        source=text_field(row.get("source") or source, "source", required=True, limit=64),
        external_id=text_field(row.get("response_id"), "response_id", required=True),
        conversation_source=text_field(
            row.get("conversation_source") or source, "conversation_source", limit=64
        ),
        conversation_id=text_field(row.get("conversation_id"), "conversation_id", required=True),
        answered_at=answered,
        csat=int_field(row.get("csat"), "csat", low=1, high=scale),
        csat_scale=scale,
        nps=int_field(row.get("nps"), "nps", low=0, high=10),
        ces=int_field(row.get("ces"), "ces", low=1, high=7),
        comment=text_field(row.get("comment"), "comment", limit=10_000),
        sent_at=timestamp_field(row.get("sent_at"), "sent_at", required=False),
    )
    if record.csat is None and record.nps is None and record.ces is None:
        raise RecordInvalid("csat", "a response needs at least one of csat, nps, ces")
    record.warnings.extend(_implausible_times(record, datetime.now(UTC)))
    return record


def _csat_scale(raw: str | None) -> int:
    scale = int_field(raw, "csat_scale", low=5, high=7) or 5
    if scale not in (5, 7):
        raise RecordInvalid("csat_scale", f"{scale} is not 5 or 7")
    return scale


def _implausible_times(record: SurveyRecord, now: datetime) -> list[tuple[str, str]]:
    """Warnings (field, reason) for times that are possible but suspicious."""
    warnings = []
    if record.answered_at > now + FUTURE_SLACK:
        warnings.append(("answered_at", f"is in the future ({record.answered_at:%Y-%m-%d})"))
    if record.sent_at is not None and record.sent_at > record.answered_at:
        warnings.append(("sent_at", "is after answered_at"))
    return warnings


# --- writing -------------------------------------------------------------------------------

ANSWER_FIELDS = ("csat", "csat_scale", "nps", "ces", "comment", "answered_at")


def upsert_survey_responses(
    records: Sequence[SurveyRecord],
) -> tuple[int, int, int, list[RowError], list[RowError]]:
    """Insert or update responses by (source, response id); each names its conversation, which
    has one survey and so at most one response. Returns created, updated, unchanged, errors
    and warnings (a response answered before its conversation began is kept, with a warning)."""
    conversations = _conversations(records)
    existing = {
        (r.source, r.external_id): r
        for r in SurveyResponse.objects.filter(external_id__in=[rec.external_id for rec in records])
    }
    answered = dict(
        SurveyResponse.objects.filter(conversation__in=list(conversations.values())).values_list(
            "conversation_id", "external_id"
        )
    )

    def write(record: SurveyRecord, tally: Tally) -> str:
        conversation = conversations.get((record.conversation_source, record.conversation_id))
        response = existing.get((record.source, record.external_id))
        conversation = _check(record, conversation, response, answered)
        if record.answered_at < conversation.created_at:
            tally.warnings.append(
                RowError(record.line, "answered_at", "is before the conversation was created")
            )
        outcome = _write(record, conversation, response)
        answered[conversation.pk] = record.external_id
        return outcome

    return write_each(records, write).as_tuple()


def _check(
    record: SurveyRecord,
    conversation: Conversation | None,
    response: SurveyResponse | None,
    answered: dict[int, str],
) -> Conversation:
    """The record's conversation, or Refused: it is unknown, it already has another
    response, or this response id belongs to another conversation."""
    if conversation is None:
        raise Refused(
            "conversation_id",
            f"no conversation {record.conversation_id!r} from source "
            f"{record.conversation_source!r}; import conversations first",
        )
    other = answered.get(conversation.pk)
    if other is not None and other != record.external_id:
        raise Refused(
            "conversation_id",
            f"the conversation already has a survey response ({other!r}): one survey per "
            "conversation has one response",
        )
    if response is not None and response.conversation_id != conversation.pk:
        raise Refused("conversation_id", "this response id already belongs to another conversation")
    return conversation


def _write(
    record: SurveyRecord, conversation: Conversation, response: SurveyResponse | None
) -> str:
    values = {name: getattr(record, name) for name in ANSWER_FIELDS}
    values.update(
        conversation=conversation,
        agent_id=conversation.agent_id,
        team_id=conversation.team_id,
        survey=_survey_sent(record, conversation),
    )
    if response is None:
        SurveyResponse.objects.create(
            source=record.source, external_id=record.external_id, **values
        )
        return "created"
    return update_if_changed(response, values)


def _conversations(records: Sequence[SurveyRecord]) -> dict[tuple[str, str], Conversation]:
    query = Q(pk__in=[])
    for source in {r.conversation_source for r in records}:
        query |= Q(
            source=source,
            external_id__in=[r.conversation_id for r in records if r.conversation_source == source],
        )
    return {(c.source, c.external_id): c for c in Conversation.objects.filter(query)}


def _survey_sent(record: SurveyRecord, conversation: Conversation) -> SurveySent | None:
    sent_at = record.sent_at
    survey = SurveySent.objects.filter(conversation=conversation).first()
    if survey is None:
        survey = SurveySent.objects.create(
            conversation=conversation,
            agent_id=conversation.agent_id,
            team_id=conversation.team_id,
            sent_at=sent_at or record.answered_at,
        )
    return survey
