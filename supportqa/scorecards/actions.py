from __future__ import annotations

from typing import Any

from django.db import transaction

from supportqa.accounts.models import User
from supportqa.audit.actions import record_event
from supportqa.scorecards.building import build_version, spec_of, validate_spec
from supportqa.scorecards.forms import ScorecardForm
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
RUBRIC = ("pass_threshold", "sections")  # what a version holds; the rest is the scorecard's


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


def rubric_changed(scorecard: Scorecard, spec: dict[str, Any]) -> bool:
    """Whether a spec differs from the scorecard's current version in what a version holds."""
    current = scorecard.current_version() if scorecard.pk else None
    if current is None:
        return True
    stored = spec_of(current)
    return any(_plain(stored.get(k)) != _plain(spec.get(k)) for k in RUBRIC)


def _plain(value: Any) -> Any:
    """Numbers compared as floats (a typed 80 and a stored 80.0 are the same mark)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def save_scorecard(
    *, form: ScorecardForm, spec: dict[str, Any], by: User
) -> tuple[Scorecard, ScorecardVersion | None]:
    """Save a scorecard's settings and conditions (audited with what changed) and publish the
    builder's rubric as its next version when it differs from the current one. `form` must be
    valid; raises SpecError before writing anything."""
    validate_spec(spec)
    with transaction.atomic():
        created = form.instance.pk is None
        before = {} if created else _snapshot(Scorecard.objects.get(pk=form.instance.pk))
        scorecard = form.save(commit=False)
        scorecard.channels = sorted(form.cleaned_data["channels"])
        scorecard.save()
        scorecard.categories.set(form.cleaned_data["categories"])
        scorecard.teams.set(form.cleaned_data["teams"])
        after = _snapshot(scorecard)
        changed = sorted(k for k in after if after[k] != before.get(k))
        if changed:
            record_event(
                actor=by,
                action="scorecard.created" if created else "scorecard.changed",
                obj=scorecard,
                data={"changed": changed, **{k: after[k] for k in changed}},
            )
        version = None
        if rubric_changed(scorecard, spec):
            version = publish_version(scorecard=scorecard, spec=spec, by=by)
    return scorecard, version


def _snapshot(scorecard: Scorecard) -> dict[str, Any]:
    return {
        "name": scorecard.name,
        "description": scorecard.description,
        "is_active": scorecard.is_active,
        "kind": scorecard.kind,
        "priority": scorecard.priority,
        "channels": sorted(scorecard.channels),
        "categories": sorted(c.name for c in scorecard.categories.all()),
        "teams": sorted(t.name for t in scorecard.teams.all()),
    }
