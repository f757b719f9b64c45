"""Queue conversations for AutoQA, claim them from the database, score them as AQS reviews.

AutoQA reviews have source AUTOQA and the system user `autoqa` as reviewer: one per
conversation, rewritten when the conversation changes, never counted in the human IQS.
"""

from __future__ import annotations

import json
import pickle
import time
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone

from supportqa import claims
from supportqa.accounts.models import AUTOQA_USERNAME, Role, User
from supportqa.audit.actions import record_event
from supportqa.autoqa.evaluation import Evaluation, figures_of, size_of
from supportqa.autoqa.models import AutoQASettings, Finding, Flag, Job, LearnedModel, Validation
from supportqa.autoqa.queue import queue_for_autoqa
from supportqa.bulk import insert_rows, update_rows
from supportqa.conversations.models import SHOP_SOURCE, Conversation, Message
from supportqa.core import autoqa
from supportqa.core.criterion_model import CriterionModel
from supportqa.reviews.access import may_flag_autoqa
from supportqa.reviews.actions import RatingInput, ReviewInvalid, proposed_option
from supportqa.reviews.models import Rating, Review, ReviewStatus, Source
from supportqa.scorecards.models import Placed, Scorecard, ScorecardVersion
from supportqa.scorecards.picking import active_scorecards, matching_scorecards

SYSTEM_USERNAME = AUTOQA_USERNAME
# Conversations whose AutoQA confidence is below this go to the human review queue. The
# unsure check's rollups (autoqa.rollups UNSURE_CHECK) are kept by it: a change of it must
# raise reports.rollups.VERSION, which recomputes every day.
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
    """Pending jobs and abandoned claims, read from the index of the jobs still to do
    (`autoqa_job_to_do`): the explicit status list lets both databases' planners use it."""
    return Job.objects.filter(
        Q(status__in=[Job.Status.PENDING, Job.Status.RUNNING]),
        Q(status=Job.Status.PENDING) | claims.abandoned(Job),
    )


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
    batch: int = 200,
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
    return ready_jobs().exists()


def _score_batch(worker: str, ids: list[int], context: Context, totals: RunTotals) -> None:
    """Score these claimed conversations and store them together in one transaction (a few
    statements for the whole batch). A conversation that cannot be scored is marked failed
    on its job; when storing the batch fails, each is stored on its own so that only the bad
    one fails."""
    renewed = time.monotonic()

    def keep_claims() -> None:  # a slow batch keeps its claims
        nonlocal renewed
        if time.monotonic() - renewed > RENEW_SECONDS:
            claims.renew(Job, worker)
            renewed = time.monotonic()

    plans: list[Plan] = []
    skipped: list[Conversation] = []
    failures: dict[int, Exception] = {}
    conversations = with_transcripts(ids)
    for conversation, lines in conversations:
        keep_claims()
        try:
            planned = plan(conversation, lines, context)
        except Exception as exc:  # one bad conversation must not stop the run
            failures[conversation.pk] = exc
            continue
        if planned is None:
            skipped.append(conversation)
        else:
            plans.append(planned)
    plans = _learned(plans, context, failures)
    try:
        with transaction.atomic():
            scored = store(plans, context)
            _mark_done(worker, skipped, scored)
    except Exception:
        for one in plans:
            keep_claims()
            try:
                with transaction.atomic():
                    _mark_done(worker, [], store([one], context))
            except Exception as exc:
                failures[one.conversation.pk] = exc
        _mark_done(worker, skipped, {})
    if failures:
        _mark_failed(worker, failures)
    totals.failed += len(failures)
    totals.scored += len(conversations) - len(failures)


def _learned(plans: list[Plan], context: Context, failures: dict[int, Exception]) -> list[Plan]:
    """The plans with their learned models' ratings: for the batch at once, or, when a model
    fails, plan by plan (from the rules' ratings again) so that only the plans it fails on
    fail. Returns the plans that have their ratings."""
    rules = [dict(p.rated) for p in plans]
    try:
        _with_learned_models(plans, context)
        return plans
    except Exception:
        kept = []
        for p, rated in zip(plans, rules, strict=True):
            p.rated = dict(rated)
            try:
                _with_learned_models([p], context)
                kept.append(p)
            except Exception as exc:
                failures[p.conversation.pk] = exc
        return kept


# A job's outcome is written only while this worker still holds its claim: a job queued again
# meanwhile (the conversation changed) or taken over by another worker is left to that.
_HELD = "status = 'running' AND claimed_by = %s"


def _mark_done(worker: str, skipped: list[Conversation], scored: dict[int, Scored]) -> None:
    """These conversations' jobs are done (with AutoQA's confidence where it scored them)."""
    now = timezone.now()
    update_rows(
        Job,
        ("status", "done_hash", "error", "confidence", "updated_at"),
        [(str(Job.Status.DONE), c.content_hash, "", None, now, c.pk) for c in skipped]
        + [
            (str(Job.Status.DONE), s.content_hash, "", s.confidence, now, pk)
            for pk, s in scored.items()
        ],
        key="conversation",
        where=_HELD,
        params=[worker],
    )


def _mark_failed(worker: str, failures: dict[int, Exception]) -> None:
    now = timezone.now()
    update_rows(
        Job,
        ("status", "error", "updated_at"),
        [
            (str(Job.Status.FAILED), f"{type(exc).__name__}: {exc}"[:2000], now, pk)
            for pk, exc in failures.items()
        ],
        key="conversation",
        where=_HELD,
        params=[worker],
    )


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
        self, conversation: Conversation, messages: Sequence[Line]
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
                versions[scorecard.slug] = version
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


def turns_of(messages: Sequence[Line]) -> list[autoqa.Turn]:
    return [autoqa.Turn(m.author_kind, m.text, m.sent_at) for m in messages]


def transcript_text(turns: list[autoqa.Turn]) -> str:
    """What learned criterion models read: each message prefixed by its author kind."""
    return "\n".join(f"{t.author_kind}: {t.text}" for t in turns)


@dataclass
class Plan:
    """One conversation's AutoQA result before it is stored: the scorecard version, the
    transcript, every detector's finding and the mapped criteria's ratings."""

    conversation: Conversation
    slug: str
    version: ScorecardVersion
    messages: list[Line]
    text: str
    findings: dict[str, autoqa.DetectorResult]
    rated: dict[str, autoqa.CriterionRating]


class Line(NamedTuple):
    """A message as AutoQA reads it."""

    pk: int
    seq: int
    author_kind: str
    text: str
    sent_at: datetime


def transcripts(conversation_ids: Collection[int]) -> dict[int, list[Line]]:
    """These conversations' messages in order, as plain tuples (one query)."""
    found: dict[int, list[Line]] = defaultdict(list)
    for conversation_id, *line in (
        Message.objects.filter(conversation_id__in=conversation_ids)
        .order_by("conversation_id", "seq")
        .values_list("conversation_id", "pk", "seq", "author_kind", "text", "sent_at")
    ):
        found[conversation_id].append(Line(*line))
    return found


def with_transcripts(conversation_ids: Collection[int]) -> list[tuple[Conversation, list[Line]]]:
    """These conversations (their customer joined, as the detectors read the name) with their
    messages in order: two queries however many."""
    lines = transcripts(conversation_ids)
    return [
        (conversation, lines[conversation.pk])
        for conversation in Conversation.objects.filter(pk__in=conversation_ids).select_related(
            "customer"
        )
    ]


def plan(conversation: Conversation, messages: list[Line], context: Context) -> Plan | None:
    """Run the detectors on the conversation's messages (in order) and rate the mapped
    criteria of the best-matching scorecard that has a mapping; no database access. None
    when no mapped scorecard fits the conversation or it has no agent."""
    if conversation.agent_id is None:
        return None
    slug = next(
        (s.slug for s in context.scorecards_for(conversation) if s.slug in context.versions),
        None,
    )
    if slug is None:
        return None
    text, findings = context.analyse(conversation, messages)
    rated = autoqa.score_criteria(findings, context.mapping[slug])
    return Plan(conversation, slug, context.versions[slug], messages, text, findings, rated)


def score_conversation(conversation: Conversation, context: Context) -> Scored | None:
    """Score one conversation and write (or rewrite) its AutoQA review. Call inside a
    transaction. None when no mapped scorecard fits it or it has no agent."""
    planned = plan(conversation, transcripts([conversation.pk])[conversation.pk], context)
    if planned is None:
        return None
    _with_learned_models([planned], context)
    return store([planned], context)[conversation.pk]


def store(plans: list[Plan], context: Context) -> dict[int, Scored]:
    """Write (or rewrite) these conversations' AutoQA reviews with their ratings, evidence
    and findings, in a fixed number of statements whatever the batch size. Call inside a
    transaction, after `_with_learned_models`. Returns what was stored, by conversation id.

    1. Each rated criterion gets the rating option nearest to AutoQA's score (or N/A where
       allowed) and the review is scored as any other.
    2. The conversation's AutoQA review is created, or emptied of its ratings and findings
       and updated; its first scoring time never moves.
    """
    if not plans:
        return {}
    now = timezone.now()
    existing = {
        (r.conversation_id, r.reviewee_id): r
        for r in Review.objects.filter(
            conversation_id__in=[p.conversation.pk for p in plans],
            reviewer=context.user,
            source=Source.AUTOQA,
            calibration_session=None,
        )
    }
    # Only the reviews rewritten now are emptied: a review of the conversation's former agent
    # keeps its ratings (and its score) as it was.
    rewritten = {
        existing[key].pk
        for key in {(p.conversation.pk, p.conversation.agent_id) for p in plans}
        if key in existing
    }
    _empty(list(rewritten))
    reviews: list[Review] = []
    ratings: list[_Rated] = []
    scored: dict[int, Scored] = {}
    for p in plans:
        review = existing.get((p.conversation.pk, p.conversation.agent_id)) or Review(
            conversation=p.conversation,
            reviewer=context.user,
            reviewee_id=p.conversation.agent_id,
            source=Source.AUTOQA,
            calibration_session=None,
        )
        review.team_id = p.conversation.team_id  # the conversation's, as it was read
        chosen, used = _ratings_of(review, p, ratings)
        confidence = _finish(review, p.version, chosen, used, now)
        reviews.append(review)
        scored[p.conversation.pk] = Scored(review, confidence, p.conversation.content_hash)
    new = [r for r in reviews if r.pk is None]
    Review.objects.bulk_create(new)
    if any(r.pk is None for r in new):  # SQLite before 3.35 returns no ids on bulk insert
        found = {
            (conversation, reviewee): pk
            for pk, conversation, reviewee in Review.objects.filter(
                conversation_id__in=[r.conversation_id for r in new],
                reviewer=context.user,
                source=Source.AUTOQA,
                calibration_session=None,
            ).values_list("pk", "conversation_id", "reviewee_id")
        }
        for r in new:
            r.pk = found[r.conversation_id, r.reviewee_id]
    _rewrite([r for r in reviews if r.pk in rewritten])
    insert_rows(
        Rating,
        ("review_id", "criterion_id", "option_id", "is_na", "score", "comment"),
        [
            (review.pk, criterion.pk, option and option.pk, option is None, score, comment)
            for review, criterion, option, score, comment, _ in ratings
        ],
    )
    cited = [(r[0].pk, r[1].pk, m) for r in ratings for m in r[5]]
    if cited:
        ids = {
            (review, criterion): pk
            for pk, review, criterion in Rating.objects.filter(
                review_id__in={review for review, _, _ in cited}
            ).values_list("pk", "review_id", "criterion_id")
        }
        insert_rows(
            Rating.evidence.through,
            ("rating_id", "message_id"),
            [(ids[review, criterion], m) for review, criterion, m in cited],
        )
    insert_rows(
        Finding,
        ("review_id", "detector", "score", "confidence", "explanation", "evidence"),
        [
            (
                review.pk,
                f.detector,
                f.score,
                f.confidence,
                f.explanation,
                json.dumps(
                    [
                        {"seq": p.messages[e.message].seq, "start": e.start, "end": e.end}
                        for e in f.evidence
                        if e.message < len(p.messages)
                    ]
                ),
            )
            for p, review in zip(plans, reviews, strict=True)
            for f in p.findings.values()
        ],
        prepared=True,  # the evidence is its JSON text, as the field would write it
    )
    return scored


# What scoring changes on an AutoQA review that already exists.
_FINISHED = (
    "scorecard_version_id", "raw_score", "final_score", "critical_failed", "status",
    "submitted_at", "overall_comment", "updated_at", "team_id",
)  # fmt: skip


def _rewrite(reviews: list[Review]) -> None:
    """Save what scoring changed on these existing reviews (one statement)."""
    update_rows(
        Review, _FINISHED, [[getattr(r, name) for name in _FINISHED] + [r.pk] for r in reviews]
    )


def _empty(review_ids: list[int]) -> None:
    """Remove these reviews' ratings (with their evidence and root causes) and findings, a
    statement each, with no signals or cascades left to run. The link rows are deleted by
    rating id, read first: joined to the ratings, PostgreSQL walked the whole rating index
    at a million conversations (1.4 s a batch)."""
    if not review_ids:
        return
    marks = ", ".join(["%s"] * len(review_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Rating._meta.db_table} WHERE review_id IN ({marks})", review_ids
        )
        ratings = [pk for (pk,) in cursor.fetchall()]
        if ratings:
            links = ", ".join(["%s"] * len(ratings))
            for through in (Rating.evidence.through, Rating.root_causes.through):
                cursor.execute(
                    f"DELETE FROM {through._meta.db_table} WHERE rating_id IN ({links})", ratings
                )
        for model in (Rating, Finding):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE review_id IN ({marks})", review_ids
            )


def _with_learned_models(plans: list[Plan], context: Context) -> None:
    """Criteria with a learned model in use are rated by it (the rules' view kept as a note);
    each model predicts once for every conversation of the batch it applies to."""
    for (slug, key), (model, kappa) in context.learned.items():
        chosen = [p for p in plans if p.slug == slug and key in p.rated]
        if not chosen:
            continue
        predictions = model.predict_many(
            [p.text for p in chosen],
            [{name: f.score for name, f in p.findings.items()} for p in chosen],
        )
        for p, (value, probability) in zip(chosen, predictions, strict=True):
            rating = p.rated[key]
            note = autoqa.DetectorResult(
                value / 100,
                probability,
                f"Learned from human reviews (held-out κ {kappa:.2f}): {value:.0f} with "
                f"{probability:.0%} probability; the rules said "
                + ("n/a." if rating.score is None else f"{rating.score:.0f}."),
                detector="learned",
            )
            p.rated[key] = autoqa.CriterionRating(key, value, probability, (note, *rating.findings))


# A rating to store: its review, criterion, option (None: N/A), criterion score, comment and
# the ids of the messages it cites.
_Rated = tuple[Review, Any, Any, float | None, str, set[int]]


def _ratings_of(
    review: Review, planned: Plan, into: list[_Rated]
) -> tuple[dict[int, float | None], list[autoqa.CriterionRating]]:
    """A rating per rated criterion of the version (the option nearest to AutoQA's score, or
    N/A where allowed), citing the messages of its evidence, added to `into`. Returns the
    chosen option values by criterion id and the criteria rated."""
    chosen: dict[int, float | None] = {}
    used: list[autoqa.CriterionRating] = []
    messages = planned.messages
    for placed in planned.version.layout[1]:
        criterion = placed.criterion
        rating = planned.rated.get(criterion.key)
        option = _option_for(placed, rating)
        if rating is None or option is False:
            continue
        cited = {messages[e.message].pk for e in rating.evidence if e.message < len(messages)}
        comment = f"AutoQA ({rating.confidence:.0%} sure): {rating.explanation}"[:4000]
        into.append((review, criterion, option, placed.score_of(option), comment, cited))
        chosen[criterion.pk] = None if option is None else option.value
        used.append(rating)
    return chosen, used


def _option_for(placed: Placed, rating: autoqa.CriterionRating | None) -> Any:
    """The rating option nearest to the score; None for N/A; False when it cannot be rated
    (no rating, or N/A where the criterion does not allow it)."""
    if rating is None:
        return False
    if rating.score is None:
        return None if placed.criterion.allow_na else False
    options = placed.options
    return options[autoqa.nearest_option(rating.score, [o.value for o in options])]


def _finish(
    review: Review,
    version: ScorecardVersion,
    chosen: dict[int, float | None],
    used: list[autoqa.CriterionRating],
    now: datetime,
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
    review.submitted_at = review.submitted_at or now
    review.updated_at = now
    review.overall_comment = (
        f"AutoQA is {confidence:.0%} sure on average over the criteria it rated "
        f"(least sure: {min(confidences, default=1.0):.0%})."
    )
    return confidence


@dataclass(frozen=True)
class Scored:
    review: Review
    confidence: float  # the mean over the criteria AutoQA rated
    content_hash: str  # the conversation's, as scored


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
