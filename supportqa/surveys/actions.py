from __future__ import annotations

from collections.abc import Sequence

from django.db.models import OuterRef, Q, Subquery

from supportqa.conversations.models import Conversation
from supportqa.integrations.formats import SurveyRecord
from supportqa.integrations.records import RowError
from supportqa.surveys.models import SurveyResponse, SurveySent

ANSWER_FIELDS = ("csat", "csat_scale", "nps", "ces", "comment", "answered_at")


def upsert_survey_responses(
    records: Sequence[SurveyRecord],
) -> tuple[int, int, int, list[RowError]]:
    """Insert or update responses by (source, response id); each names its conversation."""
    conversations = _conversations(records)
    existing = {
        (r.source, r.external_id): r
        for r in SurveyResponse.objects.filter(external_id__in=[rec.external_id for rec in records])
    }
    created = updated = unchanged = 0
    errors: list[RowError] = []
    for record in records:
        conversation = conversations.get((record.conversation_source, record.conversation_id))
        if conversation is None:
            errors.append(
                RowError(
                    record.line,
                    "conversation_id",
                    f"no conversation {record.conversation_id!r} from source "
                    f"{record.conversation_source!r}; import conversations first",
                )
            )
            continue
        survey = _survey_sent(record, conversation)
        response = existing.get((record.source, record.external_id))
        values = {name: getattr(record, name) for name in ANSWER_FIELDS}
        values.update(
            conversation=conversation,
            agent_id=conversation.agent_id,
            team_id=conversation.team_id,
            survey=survey,
        )
        if response is None:
            SurveyResponse.objects.create(
                source=record.source, external_id=record.external_id, **values
            )
            created += 1
        elif any(getattr(response, k) != v for k, v in values.items()):
            for name, value in values.items():
                setattr(response, name, value)
            response.save()
            updated += 1
        else:
            unchanged += 1
    return created, updated, unchanged, errors


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
