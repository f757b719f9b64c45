from __future__ import annotations

from collections.abc import Sequence

from django.db import DatabaseError, transaction
from django.db.models import OuterRef, Q, Subquery

from supportqa.conversations.models import Conversation
from supportqa.integrations.formats import SurveyRecord
from supportqa.integrations.records import RowError
from supportqa.surveys.models import SurveyResponse, SurveySent

ANSWER_FIELDS = ("csat", "csat_scale", "nps", "ces", "comment", "answered_at")


def upsert_survey_responses(
    records: Sequence[SurveyRecord],
) -> tuple[int, int, int, list[RowError], list[RowError]]:
    """Insert or update responses by (source, response id); each names its conversation, which
    has one survey and so at most one response. Returns created, updated, unchanged, errors
    and warnings (a response answered before its conversation began is kept, with a warning).
    Each response is written in its own savepoint: one the database refuses is an error."""
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
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    errors: list[RowError] = []
    warnings: list[RowError] = []
    for record in records:
        conversation = conversations.get((record.conversation_source, record.conversation_id))
        response = existing.get((record.source, record.external_id))
        problem = _refusal(record, conversation, response, answered)
        if problem:
            errors.append(RowError(record.line, "conversation_id", problem))
            continue
        assert conversation is not None
        if record.answered_at < conversation.created_at:
            warnings.append(
                RowError(record.line, "answered_at", "is before the conversation was created")
            )
        try:
            with transaction.atomic():
                counts[_write(record, conversation, response)] += 1
        except DatabaseError as exc:
            errors.append(RowError(record.line, "-", f"the database refused it: {exc}"[:300]))
            continue
        answered[conversation.pk] = record.external_id
    return counts["created"], counts["updated"], counts["unchanged"], errors, warnings


def _refusal(
    record: SurveyRecord,
    conversation: Conversation | None,
    response: SurveyResponse | None,
    answered: dict[int, str],
) -> str:
    if conversation is None:
        return (
            f"no conversation {record.conversation_id!r} from source "
            f"{record.conversation_source!r}; import conversations first"
        )
    other = answered.get(conversation.pk)
    if other is not None and other != record.external_id:
        return (
            f"the conversation already has a survey response ({other!r}): one survey per "
            "conversation has one response"
        )
    if response is not None and response.conversation_id != conversation.pk:
        return "this response id already belongs to another conversation"
    return ""


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
    if all(getattr(response, k) == v for k, v in values.items()):
        return "unchanged"
    for name, value in values.items():
        setattr(response, name, value)
    response.save()
    return "updated"


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


def sync_owners(*, conversation_ids: Sequence[int]) -> None:
    """Copy agent and team from the conversations onto their surveys (after a re-import
    reassigned them). Call inside the transaction that changed the conversations."""
    for model in (SurveySent, SurveyResponse):
        owner = Conversation.objects.filter(pk=OuterRef("conversation_id"))
        model.objects.filter(conversation_id__in=conversation_ids).update(
            agent_id=Subquery(owner.values("agent_id")[:1]),
            team_id=Subquery(owner.values("team_id")[:1]),
        )
