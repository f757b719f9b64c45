from __future__ import annotations

from collections.abc import Iterable

from supportqa import configured
from supportqa.conversations.models import Conversation
from supportqa.scorecards.models import Scorecard, ScorecardVersion


def active_scorecards() -> list[Scorecard]:
    """The active scorecards with their conditions loaded, for matching many conversations."""

    def read() -> tuple[Scorecard, ...]:
        conversation_scorecards = Scorecard.objects.filter(
            is_active=True, kind=Scorecard.Kind.CONVERSATION
        )
        return tuple(conversation_scorecards.prefetch_related("categories", "teams"))

    return list(configured.kept("active-scorecards", read))


def matching_scorecards(
    conversation: Conversation, active: Iterable[Scorecard] | None = None
) -> list[Scorecard]:
    """Active scorecards whose conditions (channel, category, the conversation's team: the
    team its figures count for) fit, best match first. Pass `active` (`active_scorecards()`)
    to match many conversations without queries."""
    if active is None:
        active = active_scorecards()
    matches = []
    for scorecard in active:
        if scorecard.channels and conversation.channel not in scorecard.channels:
            continue
        categories, teams = scorecard.condition_ids
        if categories and conversation.category_id not in categories:
            continue
        if teams and conversation.team_id not in teams:
            continue
        matches.append(scorecard)
    return sorted(matches, key=lambda s: -s.priority)


def pick_version(conversation: Conversation, slug: str | None = None) -> ScorecardVersion | None:
    """The current version of the requested scorecard (if it fits) or of the best match."""
    candidates = matching_scorecards(conversation)
    chosen = next((s for s in candidates if s.slug == slug), None) if slug else None
    chosen = chosen or (candidates[0] if candidates else None)
    if chosen is None:
        return None
    return configured.kept(f"current-version-{chosen.pk}", chosen.current_version)
