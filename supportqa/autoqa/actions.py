"""Queue conversations for AutoQA, claim them from the database, score them as AQS reviews.

AutoQA reviews have source AUTOQA and the system user `autoqa` as reviewer: one per
conversation, rewritten when the conversation changes, never counted in the human IQS.
"""

from __future__ import annotations

import pickle
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone

from supportqa import claims
from supportqa.accounts.models import AUTOQA_USERNAME, Role, User
from supportqa.audit.actions import record_event
from supportqa.autoqa.evaluation import Evaluation, figures_of, size_of
from supportqa.autoqa.models import AutoQASettings, Finding, Flag, Job, LearnedModel, Validation
from supportqa.autoqa.queue import queue_for_autoqa
from supportqa.conversations.models import SHOP_SOURCE, Conversation, Message
from supportqa.core import autoqa
from supportqa.core.criterion_model import CriterionModel
from supportqa.reviews.access import may_flag_autoqa
from supportqa.reviews.actions import RatingInput, ReviewInvalid, proposed_option
from supportqa.reviews.models import Rating, Review, ReviewStatus, Source
from supportqa.scorecards.models import Scorecard, ScorecardVersion
from supportqa.scorecards.picking import active_scorecards, matching_scorecards

SYSTEM_USERNAME = AUTOQA_USERNAME
# Conversations whose AutoQA confidence is below this go to the human review queue.
UNSURE_BELOW = 0.7


def system_user() -> User:
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"role": Role.QA, "display_name": "AutoQA", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


# --- the queue ----------------------------------------------------------------------------------


def enqueue_changed(since: datetime | None = None) -> int:
    """Queue every conversation (created since `since`) that is new, changed since AutoQA last
    scored it, or failed; not those a worker is scoring now. Returns how many are pending.
    Idempotent: a second call finds nothing new."""
    conversations = Conversation.objects.filter(agent__isnull=False).exclude(source=SHOP_SOURCE)
    if since is not None:
        conversations = conversations.filter(created_at__gte=since)
    stale = conversations.filter(
        Q(autoqa_job__isnull=True)
        | ~Q(autoqa_job__done_hash=F("content_hash"))
        | Q(autoqa_job__status=Job.Status.FAILED)
    ).exclude(autoqa_job__status=Job.Status.RUNNING)
    ids = list(stale.values_list("pk", flat=True))
    queue_for_autoqa(ids)
    return len(ids)


def settings_stamp() -> tuple[Any, ...]:
    """Changes whenever the AutoQA settings or the learned models change."""
    return (
        AutoQASettings.objects.aggregate(at=Max("updated_at"))["at"],
        LearnedModel.objects.aggregate(at=Max("trained_at"), n=Count("pk")),
    )


def requeue_scored() -> int:
    """Queue every scored conversation to be scored again (the rules or models changed);
    returns how many."""
    return Job.objects.filter(status=Job.Status.DONE).update(
        status=Job.Status.PENDING, updated_at=timezone.now()
    )


def save_settings(by: User | None, rules: dict[str, Any], mapping: dict[str, Any]) -> int:
    """Store the overrides (validated by the model), record it, requeue; returns how many
    conversations were queued again."""
    with transaction.atomic():
        row = AutoQASettings.objects.select_for_update().order_by("pk").first()
        row = row or AutoQASettings()
        row.rules, row.mapping = rules, mapping
        row.full_clean()
        row.save()
        record_event(
            actor=by,
            action="autoqa.settings_changed",
            obj=row,
            data={"rules": sorted(rules), "mapping": sorted(mapping)},
        )
        return requeue_scored()


def ready_jobs() -> QuerySet[Job]:
    return Job.objects.filter(Q(status=Job.Status.PENDING) | claims.abandoned(Job))


def claim(worker: str, limit: int) -> list[int]:
    """Claim up to `limit` pending (or abandoned) jobs for this worker (supportqa.claims);
    returns their conversation ids."""
    now = timezone.now()
    picked = claims.claim(ready_jobs(), worker, limit, attempts=F("attempts") + 1, updated_at=now)
    return list(Job.objects.filter(pk__in=picked).values_list("conversation_id", flat=True))


@dataclass
class RunTotals:
    scored: int = 0
    failed: int = 0


# A live worker renews its claims at least this often (a batch takes well under a second),
# so claims older than SUPPORTQA_AUTOQA_STALE_SECONDS (default 30) are abandoned ones.
RENEW_SECONDS = 5


def work(
    worker: str,
    *,
    batch: int = 50,
    limit: int | None = None,
    on_batch: Any = None,
    keep_going: Any = None,
) -> RunTotals:
    """Claim and score jobs until none is left (or `limit` conversations are done, or
    `keep_going()` says stop: a helper whose parent has died)."""
    totals = RunTotals()
    context: Context | None = None  # loaded once there is work: an idle worker polls cheaply
    stamp: tuple[Any, ...] = ()
    while (size := _batch_size(batch, limit, totals)) > 0:
        if keep_going is not None and not keep_going():
            break
        if context is None:
            if not _work_waiting():
                break
            # The first load comes before claiming: however long it takes, no claim ages.
            context, stamp = Context.load(), settings_stamp()
        ids = claim(worker, size)
        if not ids:
            break
        current = settings_stamp()
        if current != stamp:  # an admin changed the settings, or models were trained
            context, stamp = Context.load(), current
        _score_batch(worker, ids, context, totals)
        if on_batch is not None:
            on_batch(len(ids))
    return totals


def _batch_size(batch: int, limit: int | None, totals: RunTotals) -> int:
    """How many to claim next: a batch, or what is left of the limit (0 when reached)."""
    return batch if limit is None else min(batch, limit - totals.scored - totals.failed)


def _work_waiting() -> bool:
    return Job.objects.filter(Q(status=Job.Status.PENDING) | claims.abandoned(Job)).exists()


def _score_batch(worker: str, ids: list[int], context: Context, totals: RunTotals) -> None:
    """Score these claimed conversations, each in its own transaction; a failure is kept on
    its job and the batch goes on."""
    renewed = time.monotonic()
    for conversation in (
        Conversation.objects.filter(pk__in=ids)
        .select_related("customer", "agent")
        .prefetch_related("messages")
    ):
        if time.monotonic() - renewed > RENEW_SECONDS:  # a slow batch keeps its claims
            claims.renew(Job, worker)
            renewed = time.monotonic()
        try:
            with transaction.atomic():
                scored = score_conversation(conversation, context)
                Job.objects.filter(conversation=conversation).update(
                    status=Job.Status.DONE,
                    done_hash=conversation.content_hash,
                    error="",
                    confidence=None if scored is None else scored.confidence,
                    updated_at=timezone.now(),
                )
            totals.scored += 1
        except Exception as exc:  # one bad conversation must not stop the run
            Job.objects.filter(conversation=conversation).update(
                status=Job.Status.FAILED,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                updated_at=timezone.now(),
            )
            totals.failed += 1


# --- scoring -----------------------------------------------------------------------------------


@dataclass
class Context:
    """What every conversation of a run shares: the rules, the organisation's frequent
    replies, the scorecard versions with their criteria, the system user."""

    rules: autoqa.Rules
    canned: frozenset[str]
    user: User
    versions: dict[str, ScorecardVersion]
    mapping: dict[str, dict[str, tuple[str, ...]]]
    scorecards: list[Scorecard]
    # (scorecard slug, criterion key) → a learned model that beat the rules, and its κ
    learned: dict[tuple[str, str], tuple[CriterionModel, float]] = field(default_factory=dict)

    def scorecards_for(self, conversation: Conversation) -> list[Scorecard]:
        return matching_scorecards(conversation, self.scorecards)

    def analyse(
        self, conversation: Conversation, messages: Sequence[Message]
    ) -> tuple[str, dict[str, autoqa.DetectorResult]]:
        """The transcript as learned models read it, and every detector's finding."""
        turns = turns_of(messages)
        findings = autoqa.analyse(
            turns,
            channel=conversation.channel,
            status=conversation.status,
            reopen_count=conversation.reopen_count,
            customer_name=conversation.customer.name if conversation.customer else "",
            rules=self.rules,
            canned=self.canned,
        )
        return transcript_text(turns), findings

    @classmethod
    def load(cls) -> Context:
        rules, mapping = AutoQASettings.current()
        versions = {}
        for scorecard in Scorecard.objects.filter(slug__in=mapping):
            version = scorecard.current_version()
            if version is not None:
                versions[scorecard.slug] = ScorecardVersion.objects.prefetch_related(
                    "sections__criteria__options"
                ).get(pk=version.pk)
        return cls(
            rules, frequent_replies(), system_user(), versions, mapping,
            active_scorecards(),
            {
                (m.scorecard_slug, m.criterion_key): (pickle.loads(m.blob), m.kappa() or 0.0)
                for m in LearnedModel.objects.filter(active=True)
            },
        )  # fmt: skip


def frequent_replies(minimum: int = 20, sample: int = 20000) -> frozenset[str]:
    """Agent messages (compared as `canned_key`) that occur at least `minimum` times among the
    most recent `sample` agent messages: the organisation's canned replies."""
    texts = (
        Message.objects.filter(author_kind="agent")
        .order_by("-pk")
        .values_list("text", flat=True)[:sample]
    )
    counts = Counter(autoqa.canned_key(t) for t in texts)
    return frozenset(key for key, n in counts.items() if n >= minimum and key)


def turns_of(messages: Sequence[Message]) -> list[autoqa.Turn]:
    return [autoqa.Turn(m.author_kind, m.text, m.sent_at) for m in messages]


def transcript_text(turns: list[autoqa.Turn]) -> str:
    """What learned criterion models read: each message prefixed by its author kind."""
    return "\n".join(f"{t.author_kind}: {t.text}" for t in turns)


def score_conversation(conversation: Conversation, context: Context) -> Scored | None:
    """Write (or rewrite) the conversation's AutoQA review with its findings. Call inside a
    transaction. None when no mapped scorecard fits the conversation or it has no agent.

    1. Pick the best-matching scorecard that has a mapping.
    2. Run the detectors; rate the mapped criteria (learned models where they beat the rules).
    3. Replace the review's ratings (nearest rating option, evidence) and findings.
    4. Score the review as any other, and note how sure AutoQA is.
    """
    if conversation.agent_id is None:
        return None
    slug = next(
        (s.slug for s in context.scorecards_for(conversation) if s.slug in context.versions),
        None,
    )
    if slug is None:
        return None
    version = context.versions[slug]
    messages = sorted(conversation.messages.all(), key=lambda m: m.seq)
    text, findings = context.analyse(conversation, messages)
    rated = _with_learned_models(
        context, slug, text, findings, autoqa.score_criteria(findings, context.mapping[slug])
    )
    review = _fresh_review(conversation, context.user, version)
    chosen, used = _store_ratings(review, version, rated, messages)
    _store_findings(review, findings, messages)
    confidence = _finish(review, version, chosen, [rated[key] for key in used])
    return Scored(review, confidence)


def _with_learned_models(
    context: Context,
    slug: str,
    text: str,
    findings: dict[str, autoqa.DetectorResult],
    rated: dict[str, autoqa.CriterionRating],
) -> dict[str, autoqa.CriterionRating]:
    """Criteria with a learned model in use are rated by it (the rules' view kept as a note)."""
    scores = {name: f.score for name, f in findings.items()}
    for key, rating in list(rated.items()):
        learned = context.learned.get((slug, key))
        if learned is None:
            continue
        model, kappa = learned
        value, probability = model.predict(text, scores)
        note = autoqa.DetectorResult(
            value / 100,
            probability,
            f"Learned from human reviews (held-out κ {kappa:.2f}): {value:.0f} with "
            f"{probability:.0%} probability; the rules said "
            + ("n/a." if rating.score is None else f"{rating.score:.0f}."),
            detector="learned",
        )
        rated[key] = autoqa.CriterionRating(key, value, probability, (note, *rating.findings))
    return rated


def _fresh_review(conversation: Conversation, user: User, version: ScorecardVersion) -> Review:
    """The conversation's AutoQA review, emptied of its ratings and findings."""
    review, _ = Review.objects.get_or_create(
        conversation=conversation,
        reviewer=user,
        reviewee_id=conversation.agent_id,
        source=Source.AUTOQA,
        calibration_session=None,
        defaults={"scorecard_version": version},
    )
    review.ratings.all().delete()
    review.autoqa_findings.all().delete()
    return review


def _store_ratings(
    review: Review,
    version: ScorecardVersion,
    rated: dict[str, autoqa.CriterionRating],
    messages: list[Message],
) -> tuple[dict[int, float | None], list[str]]:
    """A rating per rated criterion of the version (the option nearest to AutoQA's score, or
    N/A where allowed), citing the messages of its evidence. Returns the chosen option values
    by criterion id and the keys of the criteria rated."""
    chosen: dict[int, float | None] = {}
    used: list[str] = []
    new_ratings: list[tuple[Rating, set[int]]] = []
    for section in version.sections.all():
        for criterion in section.criteria.all():
            rating = rated.get(criterion.key)
            option = _option_for(criterion, rating)
            if rating is None or option is False:
                continue
            stored = Rating.of(
                review,
                criterion,
                option,
                comment=f"AutoQA ({rating.confidence:.0%} sure): {rating.explanation}"[:4000],
            )
            cited = {messages[e.message].pk for e in rating.evidence if e.message < len(messages)}
            new_ratings.append((stored, cited))
            chosen[criterion.pk] = None if option is None else option.value
            used.append(criterion.key)
    Rating.objects.bulk_create([r for r, _ in new_ratings])
    _store_evidence(review, new_ratings)
    return chosen, used


def _option_for(criterion: Any, rating: autoqa.CriterionRating | None) -> Any:
    """The rating option nearest to the score; None for N/A; False when it cannot be rated
    (no rating, or N/A where the criterion does not allow it)."""
    if rating is None:
        return False
    if rating.score is None:
        return None if criterion.allow_na else False
    options = list(criterion.options.all())
    return options[autoqa.nearest_option(rating.score, [o.value for o in options])]


def _store_evidence(review: Review, new_ratings: list[tuple[Rating, set[int]]]) -> None:
    if not any(cited for _, cited in new_ratings):
        return
    if not all(r.pk for r, _ in new_ratings):  # backends without RETURNING on bulk insert
        ids = dict(review.ratings.values_list("criterion_id", "pk"))
        for r, _ in new_ratings:
            r.pk = ids[r.criterion_id]
    cites = Rating.evidence.through
    cites.objects.bulk_create(
        [cites(rating_id=r.pk, message_id=m) for r, cited in new_ratings for m in cited]
    )


def _store_findings(
    review: Review, findings: dict[str, autoqa.DetectorResult], messages: list[Message]
) -> None:
    Finding.objects.bulk_create(
        [
            Finding(
                review=review,
                detector=f.detector,
                score=f.score,
                confidence=f.confidence,
                explanation=f.explanation,
                evidence=[
                    {"seq": messages[e.message].seq, "start": e.start, "end": e.end}
                    for e in f.evidence
                    if e.message < len(messages)
                ],
            )
            for f in findings.values()
        ]
    )


def _finish(
    review: Review,
    version: ScorecardVersion,
    chosen: dict[int, float | None],
    used: list[autoqa.CriterionRating],
) -> float:
    """Score the review from its ratings, submit it (its first scoring time never moves) and
    say how sure AutoQA is; returns the mean confidence over the criteria it rated."""
    score = version.score(chosen)
    confidences = [r.confidence for r in used if r.score is not None]
    confidence = sum(confidences) / len(confidences) if confidences else 1.0
    review.scorecard_version = version
    review.raw_score, review.final_score = score.raw, score.final
    review.critical_failed = score.critical_failed
    review.status = ReviewStatus.SUBMITTED
    review.submitted_at = review.submitted_at or timezone.now()
    review.overall_comment = (
        f"AutoQA is {confidence:.0%} sure on average over the criteria it rated "
        f"(least sure: {min(confidences, default=1.0):.0%})."
    )
    review.save()
    return confidence


@dataclass(frozen=True)
class Scored:
    review: Review
    confidence: float  # the mean over the criteria AutoQA rated


# --- people's flags on AutoQA's ratings ---------------------------------------------------------


def flag_ratings(
    *, review: Review, by: User, proposals: dict[str, RatingInput], reason: str
) -> int:
    """`by` says AutoQA rated these criteria wrongly. `proposals`: criterion code → what they
    think is right (no option and not N/A: not said). Flagging a criterion again replaces
    that person's earlier flag. Returns how many criteria were flagged."""
    if not may_flag_autoqa(by, review):
        raise ReviewInvalid({"review": "only the agent or a reviewer can flag AutoQA's ratings"})
    if not reason.strip():
        raise ReviewInvalid({"reason": "say why AutoQA's rating is wrong"})
    ratings = {r.criterion.code: r for r in review.ratings.select_related("criterion", "option")}
    if not proposals:
        raise ReviewInvalid({"criteria": "tick at least one rating you think is wrong"})
    rows = {code: _flagged(ratings.get(code), code, wanted) for code, wanted in proposals.items()}
    with transaction.atomic():
        for rating, proposed in rows.values():
            Flag.objects.update_or_create(
                conversation_id=review.conversation_id,
                criterion_key=rating.criterion.key,
                raised_by=by,
                defaults={
                    "criterion_name": rating.criterion.name,
                    "rated": "N/A" if rating.is_na else rating.option.label,
                    "proposed": proposed,
                    "reason": reason.strip(),
                },
            )
        record_event(
            actor=by,
            action="autoqa.flagged",
            obj=review,
            data={"criteria": sorted(r.criterion.key for r, _ in rows.values())},
        )
    return len(rows)


def _flagged(rating: Rating | None, code: str, wanted: RatingInput) -> tuple[Rating, str]:
    """The rating and the label proposed for it ("" when none), or ReviewInvalid naming the
    criterion (by the same rule as a dispute's proposals)."""
    if rating is None:
        raise ReviewInvalid({code: "is not a criterion AutoQA rated here"})
    if wanted.option_position is None and not wanted.na:
        return rating, ""
    option = proposed_option(code, rating.criterion, wanted)
    return rating, "N/A" if option is None else option.label


def publish_validations(evaluation: Evaluation, dataset: str, by: Any = None) -> list[Validation]:
    """Show an evaluation's figures on the AutoQA page under the data set's name, replacing
    what was shown for that data set, detector and label kind before. Audited."""
    dataset = dataset.strip()[:150]
    if not dataset:
        raise ValueError("name the data set the figures come from")
    saved = []
    with transaction.atomic():
        for report in evaluation.reports:
            row, _ = Validation.objects.update_or_create(
                dataset=dataset,
                detector=report.detector,
                kind=report.kind,
                defaults={
                    "threshold": evaluation.threshold if report.kind == "binary" else None,
                    "n": size_of(report),
                    "figures": figures_of(report),
                    "created_by": by if getattr(by, "pk", None) else None,
                },
            )
            saved.append(row)
        if saved:
            record_event(
                actor=by,
                action="autoqa.validation_published",
                obj=saved[0],
                data={"dataset": dataset, "detectors": sorted({r.detector for r in saved})},
            )
    return saved
