"""Every URL pattern × every member of the fixed cast against one table of expected statuses.

A route without a row fails `test_every_route_has_a_row`: adding a page means deciding, here,
who may open it. Scope (which object) is tested in depth in test_access.py; this table checks
the one object each route is opened with, so a check forgotten on a new page shows up here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from supportqa.accounts.permissions import allowed
from supportqa.assignments.models import AssignmentCycle, CycleReviewer
from supportqa.calibration.actions import create_session
from supportqa.integrations.models import ImportRun
from supportqa.notifications.models import Notification
from supportqa.reviews.actions import RatingInput, raise_dispute
from supportqa.reviews.models import Review, Source
from tests.conftest import chat_rubric, make_conversation, submitted_review

CAST = ["admin", "manager", "qa", "lead", "agent", "teammate", "other_agent", "peer", "outsider"]
QUALITY = {"admin", "manager", "qa", "lead"}  # the quality team
REVIEWERS = QUALITY | {"peer"}


def only(who: set[str], ok: int = 200, other: int = 404, anonymous: int = 302) -> dict[str, int]:
    table = {member: ok if member in who else other for member in CAST}
    table["anonymous"] = anonymous
    return table


def each(statuses: dict[str, int], anonymous: int = 302) -> dict[str, int]:
    return {**statuses, "anonymous": anonymous}


@dataclass
class World:
    """The objects the routes are opened with (all in the agent's team unless said)."""

    cast: Any
    review: Any  # QA's submitted review of the agent's conversation
    disputed: Any  # a review the agent disputed (open dispute)
    session: Any  # calibration organised by QA, with QA and the peer
    cycle: Any  # an assignment cycle of the agent's team
    run: Any  # an import run


@dataclass(frozen=True)
class Row:
    method: str
    args: Callable[[World], list[str]]
    expected: dict[str, int]
    data: dict[str, str] | None = None


def no_args(world: World) -> list[str]:
    return []


def workflow_request(world: World) -> list[str]:
    """The agent's conversation's request (started on first use)."""
    from supportqa.workflow.engine import start
    from supportqa.workflow.models import Request

    found = Request.objects.filter(conversation=world.cast.conversation).first()
    return [(found or start(world.cast.conversation)).code]


def coaching_session(world: World) -> list[str]:
    """The lead's session with the agent (planned on first use)."""
    from supportqa.coaching.models import Session

    found = Session.objects.first() or Session.objects.create(
        agent=world.cast.agent, coach=world.cast.lead, starts_at=timezone.now(),
        period_first=timezone.localdate(), period_last=timezone.localdate(),
    )  # fmt: skip
    return [found.code]


def library_item(world: World) -> list[str]:
    """The lead's nomination of the agent's conversation, not yet consented: only the agent
    and the lead who nominated it read it."""
    from supportqa.coaching.models import LibraryItem

    found = LibraryItem.objects.first() or LibraryItem.objects.create(
        conversation=world.cast.conversation, agent=world.cast.agent,
        nominated_by=world.cast.lead, criteria=["tone"], note="Calm and kind",
    )  # fmt: skip
    return [found.code]


def team_report(world: World) -> list[str]:
    """The agent's team's management report of this month (made on first use)."""
    from supportqa.workflow.models import ManagementReport

    first = timezone.localdate().replace(day=1)
    found, _ = ManagementReport.objects.get_or_create(
        team=world.cast.team, first_day=first, last_day=first + timedelta(days=27)
    )
    return [found.code]


def team_action(world: World) -> list[str]:
    """An improvement action of the agent's team, owned by its lead (made on first use)."""
    from supportqa.workflow.models import ImprovementAction

    found = ImprovementAction.objects.first() or ImprovementAction.objects.create(
        team=world.cast.team, area="Training needs", description="Refund training",
        owner=world.cast.lead, due=timezone.localdate(), metric="csat",
        created_at=timezone.now(),
    )  # fmt: skip
    return [found.code]


def autoqa_review(world: World) -> list[str]:
    """An AutoQA review of the agent's conversation (made on first use)."""
    found = Review.objects.filter(source=Source.AUTOQA).first()
    if found is None:
        found = submitted_review(
            make_conversation(world.cast.agent, world.cast.team, "aq"), world.cast.lead
        )
        Review.objects.filter(pk=found.pk).update(source=Source.AUTOQA)
    return [found.code]


def bad_score(world: World) -> list[str]:
    """A bad score's follow-up on the agent's conversation (made on first use)."""
    from supportqa.surveys.models import FollowUp, SurveyResponse

    found = FollowUp.objects.first()
    if found is None:
        survey = _survey(world)
        response = SurveyResponse.objects.create(
            source="supportqa", external_id=survey.code, survey=survey,
            conversation=world.cast.conversation, agent=world.cast.agent, team=world.cast.team,
            csat=1, answered_at=timezone.now(),
        )  # fmt: skip
        found = FollowUp.objects.create(
            response=response, team=world.cast.team, reasons="CSAT 1 of 5",
            created_at=timezone.now(), due_at=timezone.now() + timedelta(hours=24),
        )  # fmt: skip
    return [found.code]


def _survey(world: World) -> Any:
    from supportqa.surveys.models import SurveySent, Template

    template = Template.objects.first() or Template.objects.create(name="After chat")
    found, _ = SurveySent.objects.get_or_create(
        conversation=world.cast.conversation,
        defaults={"template": template, "sent_at": timezone.now(), "agent": world.cast.agent,
                  "team": world.cast.team, "expires_at": timezone.now() + timedelta(days=14)},
    )  # fmt: skip
    return found


def shop(world: World) -> list[str]:
    """A mystery shop assigned to the outsider (the cast's mystery shopper)."""
    from supportqa.scorecards.models import Scorecard
    from supportqa.shopping.models import Assignment, Scenario

    found = Assignment.objects.first()
    if found is None:
        form = Scorecard.objects.create(slug="shop", name="Shop", kind="mystery_shop")
        scenario = Scenario.objects.create(name="Refund", objective="o", script="s",
                                           scorecard=form)  # fmt: skip
        found = Assignment.objects.create(scenario=scenario, shopper=world.cast.outsider,
                                          due=timezone.localdate())  # fmt: skip
    return [found.code]


def social_post(world: World) -> list[str]:
    from supportqa.social.ingest import PostRecord, ingest
    from supportqa.social.models import Post

    if not Post.objects.exists():
        ingest([PostRecord(1, "file", "p1", "@Brand still waiting", timezone.now())])
    return [Post.objects.get().code]


def survey_token(world: World) -> list[str]:
    """The public link's token of a survey of the agent's conversation."""
    from supportqa.surveys.actions import link_for

    return [link_for(_survey(world)).rstrip("/").rsplit("/", 1)[1]]


def webhook(world: World) -> list[str]:
    from supportqa.api.models import Webhook

    found = Webhook.objects.first() or Webhook.objects.create(
        url="https://example.test/hook", secret="s", events=["review.submitted"]
    )
    return [found.code]


def api(who: set[str], ok: int = 200) -> dict[str, int]:
    """The REST API: as the pages, but no login redirect: 401 without a session or token."""
    return only(who, ok=ok, anonymous=401)


TABLE: dict[str, Row] = {
    "home": Row("get", no_args, only(set(CAST))),
    # API tokens: everyone their own; webhooks: admins.
    "api-tokens": Row("get", no_args, only(set(CAST))),
    # Two-step sign-in: everyone their own; with no code owed, "verify" goes home.
    "two-factor": Row("get", no_args, only(set(CAST))),
    "two-factor-verify": Row("get", no_args, only(set(CAST), ok=302)),
    # Single sign-on: off unless configured (tests/test_sso.py turns it on).
    "oidc_authentication_init": Row("get", no_args, only(set(), anonymous=404)),
    "oidc_authentication_callback": Row("get", no_args, only(set(), anonymous=404)),
    "webhook-list": Row("get", no_args, only({"admin"})),
    "webhook-detail": Row("get", webhook, only({"admin"})),
    # The REST API (signed in here with a session; tests/test_api.py uses tokens). The schema
    # and its docs are public: they describe, they show no data.
    "api-schema": Row("get", no_args, only(set(CAST), anonymous=200)),
    "api-docs": Row("get", no_args, only(set(CAST), anonymous=200)),
    "api-conversations": Row("get", no_args, api(set(CAST) - {"outsider"})),
    "api-conversation": Row(
        "get",
        lambda w: [w.cast.conversation.code],
        api({"admin", "manager", "qa", "lead", "agent", "peer"}),
    ),
    "api-surveys": Row("get", no_args, api(QUALITY)),
    "api-people": Row("get", no_args, api(set(CAST))),
    "api-teams": Row("get", no_args, api(set(CAST))),
    "api-team-kpis": Row("get", lambda w: [w.cast.team.code], api(QUALITY)),
    "api-agent-kpis": Row(
        "get", lambda w: [w.cast.agent.code], api({"admin", "manager", "qa", "lead", "agent"})
    ),
    "api-scorecards": Row("get", no_args, api(REVIEWERS)),
    "api-reviews": Row("get", no_args, api(set(CAST))),
    "api-review": Row(
        "get", lambda w: [w.review.code], api({"admin", "manager", "qa", "lead", "agent"})
    ),
    "api-disputes": Row("get", no_args, api(set(CAST))),
    "api-findings": Row("get", no_args, api(set(CAST))),
    "api-calibrations": Row("get", no_args, api(REVIEWERS)),
    "api-calibration": Row(
        "get", lambda w: [w.session.code], api({"admin", "manager", "qa", "peer"})
    ),
    "api-assignments": Row("get", no_args, api(REVIEWERS)),
    "api-requests": Row("get", no_args, api(set(CAST) - {"outsider"})),
    "api-coaching": Row(
        "get",
        no_args,
        api({"admin", "manager", "lead", "qa", "agent", "teammate", "other_agent", "peer"}),
    ),  # fmt: skip
    "login": Row("get", no_args, only(set(CAST), ok=200, anonymous=200)),
    "logout": Row("post", no_args, only(set(CAST), ok=302, anonymous=302)),
    "account": Row("get", no_args, only(set(CAST))),
    # Password reset: anyone, signed in or not (the link in the mail is the authority).
    "password-reset": Row("get", no_args, only(set(CAST), anonymous=200)),
    "password-reset-sent": Row("get", no_args, only(set(CAST), anonymous=200)),
    "password-reset-confirm": Row(
        "get", lambda w: ["MQ", "bad-token"], only(set(CAST), anonymous=200)
    ),  # fmt: skip
    "password-reset-done": Row("get", no_args, only(set(CAST), anonymous=200)),
    # People, teams, roles and skills: admins only.
    "people": Row("get", no_args, only({"admin"})),
    "person-new": Row("get", no_args, only({"admin"})),
    "person-edit": Row("get", lambda w: [w.cast.agent.code], only({"admin"})),
    "team-manage": Row("get", no_args, only({"admin"})),
    "conversation-list": Row("get", no_args, only(set(CAST) - {"outsider"})),
    "conversation-detail": Row(
        "get",
        lambda w: [w.cast.conversation.code],
        only({"admin", "manager", "qa", "lead", "agent", "peer"}),
    ),
    "review-detail": Row(
        "get", lambda w: [w.review.code], only({"admin", "manager", "qa", "lead", "agent"})
    ),
    # Its reviewer and the arbiters in scope; never the reviewed agent.
    "review-edit": Row("get", lambda w: [w.review.code], only(QUALITY)),
    # The reviewed agent acknowledges; for everyone else the action does not exist.
    # AutoQA's ratings: flagged by the agent and by reviewers who can see the review.
    "autoqa-flag": Row("get", autoqa_review, only({"admin", "manager", "qa", "lead", "agent"})),
    "review-acknowledge": Row("post", lambda w: [w.review.code], only({"agent"}, ok=302)),
    # POST-only: the reviewed agent gets a form error (nothing chosen), everyone else a 404.
    "dispute-raise": Row(
        "post", lambda w: [w.review.code], only({"agent"}, ok=400), data={"reason": ""}
    ),
    # The reviewer and arbiters in scope get a form error (no reason); the agent and others 404.
    "dispute-decide": Row(
        "post",
        lambda w: [w.disputed.code, w.disputed.disputes.get().code],
        only({"admin", "manager", "qa", "lead"}, ok=400),
        data={"decision_reason": ""},
    ),
    "agent-list": Row("get", no_args, only(QUALITY)),
    "agent-detail": Row(
        "get", lambda w: [w.cast.agent.code], only({"admin", "manager", "qa", "lead", "agent"})
    ),
    "queue": Row("get", no_args, only(REVIEWERS)),
    "cycle-new": Row("get", no_args, only(QUALITY)),
    "cycle-run": Row("post", lambda w: [w.cycle.code], only(QUALITY, ok=302)),
    "reviewer-list": Row("get", no_args, only(QUALITY)),
    "calibration-list": Row("get", no_args, only(REVIEWERS)),
    "calibration-new": Row("get", no_args, only(QUALITY)),
    # Managers and admins see every session; others only those they organise or join.
    "calibration-detail": Row(
        "get", lambda w: [w.session.code], only({"admin", "manager", "qa", "peer"})
    ),
    "calibration-reveal": Row("post", lambda w: [w.session.code], only({"qa"}, ok=302)),
    "calibration-review": Row(
        "get",
        lambda w: [w.session.code, w.session.conversations.first().code],
        only({"qa", "peer"}),
    ),
    # The peer's invitation to the session: theirs alone to open.
    "notification-open": Row(
        "get",
        lambda w: [Notification.objects.filter(user=w.cast.peer).first().code],
        only({"peer"}, ok=302),
    ),
    # Everyone has their own inbox and settings; nobody sees another's.
    "inbox": Row("get", no_args, only(set(CAST))),
    "notifications-read": Row("post", no_args, only(set(CAST), ok=302)),
    "notification-settings": Row("get", no_args, only(set(CAST))),
    "autoqa": Row("get", no_args, only(QUALITY)),
    "autoqa-settings": Row("get", no_args, only({"admin"})),
    "autoqa-evaluate": Row("get", no_args, only({"admin"})),
    "team-list": Row("get", no_args, only(QUALITY)),
    "cause-list": Row("get", no_args, only(QUALITY)),
    "staffing": Row("get", no_args, only(QUALITY)),
    "topics": Row("get", no_args, only(QUALITY)),
    "team-detail": Row("get", lambda w: [w.cast.team.code], only(QUALITY)),
    "scorecard-list": Row("get", no_args, only({"admin"})),
    "scorecard-new": Row("get", no_args, only({"admin"})),
    # Requests: everyone who browses conversations sees the list (their scope's requests).
    "request-list": Row("get", no_args, only(set(CAST) - {"outsider"})),
    "request-new": Row("get", no_args, only(QUALITY)),
    "request-detail": Row(
        "get", workflow_request, only({"admin", "manager", "qa", "lead", "agent", "peer"})
    ),
    "request-archive": Row(
        "get", workflow_request, only({"admin", "manager", "qa", "lead", "agent", "peer"})
    ),
    # Coaching: coaches (leads of the agent's team, managers, admins) and the agent; QA
    # reviewers contribute library examples.
    "coaching-home": Row(
        "get",
        no_args,
        only({"admin", "manager", "lead", "qa", "agent", "teammate", "other_agent", "peer"}),
    ),  # fmt: skip
    "coaching-new": Row("get", no_args, only({"admin", "manager", "lead"})),
    "coaching-library": Row(
        "get",
        no_args,
        only({"admin", "manager", "lead", "qa", "agent", "teammate", "other_agent", "peer"}),
    ),  # fmt: skip
    "coaching-library-item": Row("get", library_item, only({"lead", "agent"})),
    "coaching-packet": Row(
        "get", lambda w: [w.cast.agent.code], only({"admin", "manager", "lead"})
    ),  # fmt: skip
    "coaching-session": Row("get", coaching_session, only({"admin", "manager", "lead", "agent"})),
    "coaching-invite": Row("get", coaching_session, only({"admin", "manager", "lead", "agent"})),
    "coaching-report": Row("get", coaching_session, only({"admin", "manager", "lead", "agent"})),
    # Management reports and improvement actions: the quality team, for the teams they see.
    "management-report-list": Row("get", no_args, only(QUALITY)),
    "management-report-detail": Row("get", team_report, only(QUALITY)),
    "management-report-pdf": Row("get", team_report, only(QUALITY)),
    "management-report-csv": Row("get", lambda w: [*team_report(w), "kpis"], only(QUALITY)),
    "improvement-list": Row("get", no_args, only(QUALITY)),
    "improvement-detail": Row("get", team_action, only(QUALITY)),
    "request-start": Row(
        "post", lambda w: [w.cast.other_conversation.code], only({"admin", "manager", "qa"}, ok=302)
    ),
    "scorecard-edit": Row("get", lambda w: ["chat-quality"], only({"admin"})),
    "scorecard-json": Row("get", lambda w: ["chat-quality"], only({"admin"})),
    "scorecard-versions": Row("get", lambda w: ["chat-quality"], only({"admin"})),
    "scorecard-validity": Row("get", lambda w: ["chat-quality"], only({"admin"})),
    "import": Row("get", no_args, only({"admin"})),
    "import-run": Row("get", lambda w: [w.run.code], only({"admin"})),
    "import-retry": Row("post", lambda w: [w.run.code], only({"admin"}, ok=302)),
    "categorize": Row("get", no_args, only({"admin"})),
    "privacy-erase": Row("get", no_args, only({"admin"})),
    # No categorizer is trained in the test world: the admin's download is a 404 too.
    "categorizer-download": Row("get", no_args, only(set())),
    "export": Row("get", lambda w: ["conversations", "csv"], only(set(CAST) - {"outsider"})),
    # Surveys: the quality team, for the teams they see; links answer as the customer: admins.
    "survey-overview": Row("get", no_args, only(QUALITY)),
    "survey-links": Row("get", no_args, only({"admin"})),
    "survey-follow-up": Row("get", bad_score, only(QUALITY)),
    "survey-send": Row(
        "post", lambda w: [w.cast.other_conversation.code], only({"admin", "manager", "qa"}, ok=302)
    ),
    # Mystery shopping: the org-wide quality roles, and the shopper (the outsider) their own.
    "shop-home": Row("get", no_args, only({"admin", "manager", "qa", "outsider"})),
    "shop-detail": Row("get", shop, only({"admin", "manager", "qa", "outsider"})),
    # Social media: the brand's, so the org-wide roles'. The webhook exists only with its
    # secret set (tests/test_social.py signs requests to it).
    "social-home": Row("get", no_args, only({"admin", "manager", "qa"})),
    "social-post": Row("get", social_post, only({"admin", "manager", "qa"})),
    "social-webhook": Row("post", no_args, only(set(), anonymous=404)),
    # The customer's page: no login, the link is the authority (tests/test_surveys.py).
    "survey-answer": Row("get", survey_token, only(set(CAST), anonymous=200)),
}


def routes(
    patterns: list[Any] | None = None, namespace: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from routes(entry.url_patterns, inner)
        elif entry.name:
            yield f"{namespace}{entry.name}", entry


@pytest.fixture
def world(cast, settings, tmp_path) -> World:
    settings.DATA_DIR = tmp_path  # no trained categorizer: its download is "not found"
    review = submitted_review(cast.conversation, cast.qa, position=1)
    disputed_conversation = make_conversation(cast.agent, cast.team, "disputed")
    disputed = submitted_review(disputed_conversation, cast.qa, position=1)
    code = next(iter(disputed.ratings.select_related("criterion"))).criterion.code
    raise_dispute(
        review=disputed, by=cast.agent, proposals={code: RatingInput(0)}, reason="It was fine"
    )
    session = create_session(
        title="Calibrate",
        version=chat_rubric(),
        organiser=cast.qa,
        conversations=[make_conversation(cast.agent, cast.team, "cal")],
        participants=[cast.qa, cast.peer],
    )
    cycle = AssignmentCycle.objects.create(
        name="Weekly", team=cast.team, created_by=cast.lead, next_run_at=timezone.now()
    )
    CycleReviewer.objects.create(cycle=cycle, reviewer=cast.qa, quota=1)
    run = ImportRun.objects.create(kind="native", fingerprint="x", batch_size=1)
    return World(cast, review, disputed, session, cycle, run)


def client_for(world: World, member: str) -> Client:
    client = Client()
    if member != "anonymous":
        client.force_login(getattr(world.cast, member))
    return client


def test_every_route_has_a_row():
    named = {name for name, _ in routes() if not name.startswith("admin:")}
    assert named - set(TABLE) == set(), "add these routes to TABLE"
    assert set(TABLE) - named == set(), "these rows name routes that do not exist"


def test_every_view_states_who_may_use_it():
    """`@allowed(check)` is every view's first decorator (Django's login and logout aside)."""
    missing = [
        name
        for name, pattern in routes()
        if not name.startswith("admin:")
        and name not in {"login", "logout"}
        and not hasattr(pattern.callback, "permission")
    ]
    assert missing == []
    assert allowed  # the decorator under test


def test_every_route_answers_each_member_as_the_table_says(world):
    wrong = []
    for name, row in TABLE.items():
        for member, expected in row.expected.items():
            client = client_for(world, member)
            url = reverse(name, args=row.args(world))
            response = getattr(client, row.method)(url, row.data or {})
            if response.status_code != expected:
                wrong.append(f"{row.method.upper()} {name} as {member}: {response.status_code}")
    assert wrong == [], "\n".join(wrong)


def admin_args(name: str, pattern: URLPattern) -> list[str]:
    """Arguments for an admin route: an existing object where the route takes one."""
    keys = list(pattern.pattern.regex.groupindex)
    if not keys:
        return []
    app_model = name.removeprefix("admin:").rsplit("_", 1)[0]
    model = next(
        (
            m
            for m in admin.site._registry
            if f"{m._meta.app_label}_{m._meta.model_name}" == app_model
        ),
        None,
    )
    values = {"app_label": "accounts", "content_type_id": "1", "object_id": "1", "url": "x"}
    if model is not None:
        obj = model._default_manager.order_by("pk").first()
        values["object_id"] = str(obj.pk) if obj is not None else "1"
        values["id"] = values["object_id"]
    return [values.get(k, "1") for k in keys]


def test_the_administration_site_is_for_admins_only(world):
    """Every admin route: 404 for everyone but admins (no admin login page), the product's
    login for anonymous visitors, and never a server error for the admin."""
    wrong = []
    admin_routes = [(n, p) for n, p in routes() if n.startswith("admin:")]
    assert len(admin_routes) > 20
    for name, pattern in admin_routes:
        url = reverse(name, args=admin_args(name, pattern))
        for member in [*CAST, "anonymous"]:
            response = client_for(world, member).get(url)
            status = response.status_code
            if member == "anonymous":  # via the admin's login route, which sends them on
                if status == 302 and response["Location"].startswith("/admin/login/"):
                    response = client_for(world, member).get(response["Location"])
                ok = response.status_code == 302 and response["Location"].startswith("/login/")
            elif member == "admin":
                ok = status < 500
            else:
                ok = status == 404
            if not ok:
                wrong.append(f"{name} as {member}: {status}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("name", ["admin:index", "admin:accounts_user_changelist"])
def test_admins_use_the_administration_site(world, name):
    assert client_for(world, "admin").get(reverse(name)).status_code == 200
