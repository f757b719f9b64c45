from __future__ import annotations

from collections.abc import Sequence

from django.db.models import OuterRef, Subquery

from supportqa.conversations.models import Conversation
from supportqa.surveys.models import SurveyResponse, SurveySent


def sync_owners(*, conversation_ids: Sequence[int]) -> None:
    """Copy agent and team from the conversations onto their surveys (after a re-import
    reassigned them). Call inside the transaction that changed the conversations."""
    for model in (SurveySent, SurveyResponse):
        owner = Conversation.objects.filter(pk=OuterRef("conversation_id"))
        model.objects.filter(conversation_id__in=conversation_ids).update(
            agent_id=Subquery(owner.values("agent_id")[:1]),
            team_id=Subquery(owner.values("team_id")[:1]),
        )
