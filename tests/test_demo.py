from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count, Max, Min

from supportqa.accounts.models import Role, Team, User
from supportqa.conversations.models import Conversation
from supportqa.demo.generate import build
from supportqa.reviews.models import Review
from supportqa.surveys.models import SurveyResponse


def test_demo_builds_a_realistic_organisation_and_is_idempotent(db):
    stats = build(conversations=150, reviews=40)
    assert Team.objects.count() == 3
    assert User.objects.filter(role=Role.AGENT).count() == 15
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    counts = Conversation.objects.aggregate(low=Min("message_count"), high=Max("message_count"))
    assert counts["low"] >= 4 and counts["high"] <= 20
    assert set(Conversation.objects.values_list("channel", flat=True)) == {
        "chat",
        "email",
        "phone",
        "social",
    }
    assert 0.15 < SurveyResponse.objects.count() / 150 < 0.35
    reviewers = Counter(Review.objects.values_list("reviewer__username", flat=True))
    assert reviewers["qa.lenient"] and reviewers["qa.strict"]
    assert stats.reviews == Review.objects.exclude(source="calibration").count()
    from supportqa.assignments.models import AssignmentItem
    from supportqa.calibration.models import CalibrationSession

    session = CalibrationSession.objects.get()
    assert session.is_revealed and session.reviews.count() == 15  # 5 conversations × 3
    assert AssignmentItem.objects.filter(assignment__reviewer__username__startswith="qa.").exists()
    again = build(conversations=150, reviews=40)
    assert Conversation.objects.count() == 150
    assert again.reviews == 0  # same seed, same picks, nothing new
    assert CalibrationSession.objects.count() == 1


def test_demo_reviewers_differ_and_agents_differ(db, monkeypatch):
    build(conversations=600, reviews=200)
    by_reviewer = dict(
        Review.objects.values("reviewer__username")
        .annotate(n=Count("id"))
        .values_list("reviewer__username", "n")
    )
    assert by_reviewer["qa.lenient"] > 10 and by_reviewer["qa.strict"] > 10

    def mean(**filters):
        scores = list(Review.objects.filter(**filters).values_list("raw_score", flat=True))
        return sum(scores) / len(scores)

    assert mean(reviewer__username="qa.lenient") > mean(reviewer__username="qa.strict") + 10
    assert mean(reviewee__username="ava") > mean(reviewee__username="liam") + 10
    # The demo's offsets (the Reviewers page's) equal the full-design least squares to 1e-9.
    from supportqa.core.leniency import reviewer_offsets
    from tests.core.test_leniency import dense_offsets

    rows = list(
        Review.objects.counting_toward_iqs().values_list(
            "conversation_id", "reviewer_id", "final_score"
        )
    )
    fast = reviewer_offsets(rows)
    reference = dense_offsets(rows)
    assert len(fast) >= 4 and set(fast) == set(reference)
    for reviewer, (value, se) in reference.items():
        assert abs(fast[reviewer].value - value) < 1e-9 and abs(fast[reviewer].se - se) < 1e-9
    # The pages' stored fit (reports.appraisal.offsets_of): the same figures, fitted once for
    # unchanged reviews, and again when a review of a doubly reviewed conversation changes.
    from django.core.cache import cache

    import supportqa.reports.appraisal as appraisal

    cache.clear()
    fits = []

    def counted(reviews):
        fits.append(len(reviews))
        return reviewer_offsets(reviews)

    monkeypatch.setattr(appraisal, "reviewer_offsets", counted)
    for order in (rows, rows[::-1]):
        stored = appraisal.offsets_of(order)
        for reviewer, (value, se) in reference.items():
            assert abs(stored[reviewer].value - value) < 1e-9
            assert abs(stored[reviewer].se - se) < 1e-9
    assert len(fits) == 1 and fits[0] < len(rows)  # fitted once, on the overlapping reviews
    shared = Counter(c for c, _, _ in rows)
    first = next(row for row in rows if shared[row[0]] > 1)
    changed = [(c, r, s + 5.0) if (c, r, s) == first else (c, r, s) for c, r, s in rows]
    assert appraisal.offsets_of(changed) != stored and len(fits) == 2
    _standings_equal_those_of_the_rows()


def _standings_equal_those_of_the_rows():
    """The agents page (reports.appraisal.standings) has the database sum each agent's
    scores per reviewer and reads as rows only the doubly reviewed conversations: every
    figure equals the one computed from all the rows, as the page did before (issue #11 §1),
    to 1e-9, with a quarter of the reviews sampled with unequal probabilities."""
    from datetime import timedelta

    from django.utils import timezone

    from supportqa.accounts.access import agents_for
    from supportqa.core import kpis
    from supportqa.core.appraisal import compare, shrink
    from supportqa.core.leniency import overlapping, reviewer_offsets
    from supportqa.core.sampling import pooled_within_sd
    from supportqa.reports.appraisal import standings
    from supportqa.reports.metrics import scored_reviews
    from supportqa.reports.periods import Period
    from supportqa.reviews.access import reviews_for

    ids = list(Review.objects.counting_toward_iqs().order_by("pk").values_list("pk", flat=True))
    Review.objects.filter(pk__in=ids[::4]).update(inclusion_probability=0.25)
    manager = User.objects.get(username="manager")
    now = timezone.now()
    period = Period(now - timedelta(days=90), now)
    agents = list(agents_for(manager))
    rows = list(
        scored_reviews(reviews_for(manager), period)
        .filter(reviewee__in=agents)
        .values_list(
            "reviewee_id", "conversation_id", "reviewer_id", "final_score", "inclusion_probability"
        )
    )
    pairs = sorted(overlapping([(c, r, s) for _, c, r, s, _ in rows if r is not None]))
    offsets = {k: o.value for k, o in reviewer_offsets(pairs).items()}
    scores, fair, probabilities = defaultdict(list), defaultdict(list), defaultdict(list)
    for agent, _, reviewer, score, probability in rows:
        scores[agent].append(score)
        fair[agent].append(score - offsets.get(reviewer, 0.0))
        probabilities[agent].append(probability)
    assert len(offsets) >= 4 and len({p for ps in probabilities.values() for p in ps}) == 2
    average = sum(s for ss in scores.values() for s in ss) / len(rows)
    sd = pooled_within_sd(list(scores.values()))
    reviewed = [a.pk for a in agents if scores[a.pk]]
    estimates = {pk: kpis.iqs(scores[pk], probabilities[pk]) for pk in reviewed}
    shrunk = dict(
        zip(
            reviewed,
            shrink(
                [estimates[pk].value for pk in reviewed],
                [len(scores[pk]) for pk in reviewed],
                sd * sd,
            ),
            strict=True,
        )
    )
    got = standings(manager, agents, period)
    assert len(got) == len(agents) and len(reviewed) >= 10
    for standing in got:
        pk = standing.agent.pk
        expected = [
            (standing.iqs, kpis.iqs(scores[pk], probabilities[pk])),
            (standing.adjusted, kpis.iqs(fair[pk], probabilities[pk])),
        ]
        for estimate, reference in expected:
            assert estimate.n == reference.n
            for x, y in (
                (estimate.value, reference.value),
                (estimate.low, reference.low),
                (estimate.high, reference.high),
            ):
                assert (x is None and y is None) or abs(x - y) < 1e-9
        assert abs(standing.average - average) < 1e-9
        if pk in shrunk:
            assert abs(standing.shrunk - shrunk[pk]) < 1e-9
            assert standing.comparison == compare(estimates[pk], average, sd)
    # The reviewers page: each reviewer's count and mean, and their offset, as from the rows.
    from supportqa.calibration.results import reviewer_standings

    given = defaultdict(list)
    everyone = scored_reviews(reviews_for(manager), period)
    for _, reviewer, score in everyone.values_list("conversation_id", "reviewer_id", "final_score"):
        given[reviewer].append(score)
    every_pair = list(everyone.values_list("conversation_id", "reviewer_id", "final_score"))
    every_offset = reviewer_offsets(sorted(overlapping(every_pair)))
    listed = reviewer_standings(everyone)
    assert {r["user"].pk for r in listed} == set(given) and len(listed) >= 4
    for row in listed:
        scores_given = given[row["user"].pk]
        assert row["reviews"] == len(scores_given)
        assert abs(row["mean"] - sum(scores_given) / len(scores_given)) < 1e-9
        assert abs(row["offset"].value - every_offset[row["user"].pk].value) < 1e-9


def test_the_demo_has_surveys_shops_and_social_posts_once(db):
    """The voice of the customer in the demo (issue #15): surveys sent by SupportQA with
    answers and followed-up bad scores, mystery shops done and to do, and eight weeks of
    posts whose outage raises an alert; each built once."""
    from supportqa.demo.shopping import build_shopping
    from supportqa.demo.social import build_social
    from supportqa.demo.surveys import build_surveys
    from supportqa.shopping.models import Assignment
    from supportqa.social.models import Alert
    from supportqa.surveys.models import SurveyResponse, SurveySent

    build(conversations=400, reviews=20)
    sent = build_surveys()
    assert sent > 0 and SurveySent.objects.filter(template__isnull=False).count() == sent
    answered = SurveyResponse.objects.filter(source="supportqa")
    assert 0 < answered.count() < sent  # a response rate below 100%
    assert build_shopping() == 18
    assert Assignment.objects.filter(state=Assignment.State.ASSIGNED).count() == 3
    assert build_social() > 500
    assert Alert.objects.filter(measure="Posts").exists()
    assert (build_surveys(), build_shopping(), build_social()) == (0, 0, 0)
