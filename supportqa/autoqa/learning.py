"""Train criterion models from the organisation's human reviews and keep the ones that agree
with humans better than the rules do (on held-out reviews)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from supportqa.autoqa.actions import Context, requeue_scored, with_transcripts
from supportqa.autoqa.models import LearnedModel
from supportqa.core import autoqa
from supportqa.core.criterion_model import Evaluation, Example, NotEnoughData, train
from supportqa.reviews.models import Rating, Review


@dataclass(frozen=True)
class Outcome:
    criterion: str
    examples: int
    evaluation: Evaluation | None
    active: bool
    skipped: str = ""


def train_models(slug: str = "chat-quality", *, minimum: int = 40, seed: int = 0) -> list[Outcome]:
    """One model per mapped criterion of the scorecard with enough human ratings."""
    context = Context.load()
    if slug not in context.versions:
        raise ValueError(f"no scorecard {slug!r} with an AutoQA mapping")
    mapping = context.mapping[slug]
    labels = _human_labels(slug, mapping)
    analysed = _analysed(
        context, {c for by_conversation in labels.values() for c in by_conversation}
    )
    options = {
        c.key: [o.value for o in c.options.all()] for c in context.versions[slug].parts.criteria
    }
    outcomes = []
    for key, by_conversation in labels.items():
        examples = [
            _example(analysed[conversation_id], key, mapping[key], options.get(key), value)
            for conversation_id, value in by_conversation.items()
        ]
        outcomes.append(_train_one(slug, key, examples, seed=seed, minimum=minimum))
    # Every conversation is rescored with what is in use now.
    requeue_scored()
    return outcomes


def _human_labels(slug: str, mapping: dict[str, Any]) -> dict[str, dict[int, float]]:
    """The latest human rating of each mapped criterion, per conversation."""
    ratings = (
        Rating.objects.filter(
            review__in=Review.objects.counting_toward_iqs(),
            review__scorecard_version__scorecard__slug=slug,
            criterion__key__in=list(mapping),
            is_na=False,
        )
        .order_by("review__submitted_at")
        .values_list("review__conversation_id", "criterion__key", "option__value")
    )
    labels: dict[str, dict[int, float]] = {key: {} for key in mapping}
    for conversation_id, key, value in ratings:
        labels[key][conversation_id] = value  # later ratings overwrite earlier ones
    return labels


_Analysis = tuple[str, dict[str, autoqa.DetectorResult]]


def _analysed(context: Context, conversation_ids: set[int]) -> dict[int, _Analysis]:
    return {
        conversation.pk: context.analyse(conversation, lines)
        for conversation, lines in with_transcripts(conversation_ids)
    }


def _example(
    analysis: _Analysis, key: str, rule: Any, options: list[float] | None, value: float
) -> Example:
    """A training example: the text, the detectors' scores, the human rating and the rating
    the rules alone would give (None where they rate nothing)."""
    text, findings = analysis
    rated = autoqa.score_criteria(findings, {key: rule})[key]
    by_rules = None
    if rated.score is not None and options is not None:
        by_rules = options[autoqa.nearest_option(rated.score, options)]
    scores = {name: f.score for name, f in findings.items()}
    return Example(text, scores, value, by_rules)


def _train_one(slug: str, key: str, examples: list[Example], *, seed: int, minimum: int) -> Outcome:
    try:
        model, evaluation = train(examples, seed=seed, minimum=minimum)
    except NotEnoughData as why:
        LearnedModel.objects.filter(scorecard_slug=slug, criterion_key=key).delete()
        return Outcome(key, len(examples), None, False, str(why))
    # Used only when clearly better: the lower end of the model's 95% interval above
    # the rules' κ (above 0 where the rules rate nothing), not a lucky split.
    baseline = evaluation.rule_kappa.value if evaluation.rule_kappa else 0.0
    better = evaluation.kappa is not None and evaluation.kappa.ci_low > baseline
    with transaction.atomic():
        LearnedModel.objects.update_or_create(
            scorecard_slug=slug,
            criterion_key=key,
            defaults={
                "examples": len(examples),
                "evaluation": evaluation.as_dict(),
                "active": better,
                "blob": pickle.dumps(model),
            },
        )
    return Outcome(key, len(examples), evaluation, better)
