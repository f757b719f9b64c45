from __future__ import annotations

from typing import Any

from django.db import transaction

from supportqa.accounts.models import User
from supportqa.audit.actions import record_event
from supportqa.scorecards.building import build_version, validate_spec
from supportqa.scorecards.models import (
    Criterion,
    RatingOption,
    RootCauseOption,
    Scorecard,
    ScorecardVersion,
    Section,
)

MODELS = {
    "ScorecardVersion": ScorecardVersion,
    "Section": Section,
    "Criterion": Criterion,
    "RatingOption": RatingOption,
    "RootCauseOption": RootCauseOption,
}


def publish_version(*, scorecard: Scorecard, spec: dict[str, Any], by: User) -> ScorecardVersion:
    """Editing a scorecard never changes a stored version: it adds the next one, and reviews
    keep the version they were made with. Raises SpecError before writing anything."""
    validate_spec(spec)
    with transaction.atomic():
        locked = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
        current = locked.current_version()
        number = (current.number if current else 0) + 1
        version = build_version(MODELS, locked, spec, number=number, created_by=by)
        record_event(
            actor=by, action="scorecard.version_published", obj=locked, data={"version": number}
        )
    return version
