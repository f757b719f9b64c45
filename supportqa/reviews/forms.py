"""The scorecard form: parsed by hand because its fields come from the scorecard version.

Field names: `rating-<criterion code>` = option position or `na`; `comment-<code>`;
`cause-<code>` = root-cause positions; `evidence-<code>` = message positions (comma-separated).
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from supportqa.reviews.actions import RatingInput
from supportqa.reviews.models import Review
from supportqa.scorecards.models import Criterion, ScorecardVersion


def _criteria(version: ScorecardVersion) -> list[Criterion]:
    return list(
        Criterion.objects.filter(section__version=version)
        .select_related("section")
        .prefetch_related("options", "root_causes")
        .order_by("section__position", "position")
    )


def position(raw: str) -> int | None:
    """A position posted by the form: ASCII digits only, at most six (no other scripts'
    digits, no 5,000-digit numbers); None for anything else."""
    raw = raw.strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= 6:
        return int(raw)
    return None


def _ints(values: list[str]) -> list[int]:
    return [
        value
        for raw in values[:100]
        for part in raw.split(",")[:1000]
        if (value := position(part)) is not None
    ]


def parse_review_post(
    post: QueryDict, version: ScorecardVersion
) -> tuple[dict[str, RatingInput], str]:
    ratings: dict[str, RatingInput] = {}
    for criterion in _criteria(version):
        code = criterion.code
        raw = post.get(f"rating-{code}", "")
        given = RatingInput(
            na=raw == "na",
            option_position=-1 if position(raw) is None else position(raw),
            comment=post.get(f"comment-{code}", "")[:5000],
            root_cause_positions=_ints(post.getlist(f"cause-{code}")),
            evidence_seqs=_ints(post.getlist(f"evidence-{code}")),
        )
        if given.na or raw == "":
            given.option_position = None
        ratings[code] = given
    return ratings, post.get("overall_comment", "")[:10000]


def review_form_context(
    version: ScorecardVersion, review: Review | None, post: QueryDict | None
) -> dict[str, Any]:
    """Criteria with the reviewer's current choices, from the bound POST or the saved draft."""
    saved: dict[int, Any] = {}
    if review is not None and post is None:
        for rating in review.ratings.prefetch_related("root_causes", "evidence"):
            saved[rating.criterion_id] = rating
    rows = []
    for criterion in _criteria(version):
        options = list(criterion.options.all())
        causes = list(criterion.root_causes.all())
        rating = saved.get(criterion.pk)
        if post is not None:
            selected = post.get(f"rating-{criterion.code}", "")
            comment = post.get(f"comment-{criterion.code}", "")
            chosen_causes = set(_ints(post.getlist(f"cause-{criterion.code}")))
            evidence = _ints(post.getlist(f"evidence-{criterion.code}"))
        elif rating is not None:
            selected = (
                "na"
                if rating.is_na
                else str(next(i for i, o in enumerate(options) if o.pk == rating.option_id))
            )
            comment = rating.comment
            cause_ids = {c.pk for c in rating.root_causes.all()}
            chosen_causes = {i for i, c in enumerate(causes) if c.pk in cause_ids}
            evidence = sorted(m.seq for m in rating.evidence.all())
        else:
            selected, comment, chosen_causes, evidence = "", "", set(), []
        rows.append(
            {
                "criterion": criterion,
                "options": [(str(i), o) for i, o in enumerate(options)],
                "causes": [(i, c, i in chosen_causes) for i, c in enumerate(causes)],
                "selected": selected,
                "comment": comment,
                "evidence": ",".join(str(s) for s in evidence),
            }
        )
    return {
        "version": version,
        "criteria_rows": rows,
        "own_review": review,
        "overall_comment": post.get("overall_comment", "")
        if post is not None
        else (review.overall_comment if review else ""),
    }
