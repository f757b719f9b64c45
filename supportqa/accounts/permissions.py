"""What each person may do: one named check per capability, and the one way views use them.

Scope (which teams, conversations and reviews a person sees) lives in the `access` modules;
this module answers "may this person use this page or action at all". Every view's first line
is `@allowed(check)`; templates read the same checks as `can.<name>` (see `capabilities`). A
view whose access depends only on the object's scope uses `signed_in` and its access helper.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from supportqa.accounts.models import AGENT_ROLES, ORG_WIDE_ROLES, Role, User

Check = Callable[[User], bool]
View = TypeVar("View", bound=Callable[..., HttpResponse])

# The people who run the quality programme: reviewers' reviewers, dashboards, AutoQA.
QUALITY_TEAM = frozenset({Role.QA, Role.LEAD, Role.MANAGER, Role.ADMIN})
REVIEWERS = QUALITY_TEAM | {Role.PEER}
ARBITERS = frozenset({Role.LEAD, Role.MANAGER, Role.ADMIN})


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def _role_in(roles: frozenset[str]) -> Check:
    def check(user: User) -> bool:
        return _active(user) and user.role in roles

    check.roles = roles  # type: ignore[attr-defined]
    return check


def holders(check: Check) -> QuerySet[User]:
    """The active people who pass a role-based check (for choice lists)."""
    return User.objects.filter(role__in=check.roles, is_active=True)  # type: ignore[attr-defined]


def signed_in(user: User) -> bool:
    """Any active account: the page's own access helper decides what it shows (404 outside)."""
    return _active(user)


def anyone(user: User) -> bool:
    """Public pages (a customer's survey link): what the URL carries is the authority."""
    return True


may_browse_conversations = _role_in(frozenset(Role) - {Role.SHOPPER})
may_review = _role_in(REVIEWERS)
may_see_team_reports = _role_in(QUALITY_TEAM)  # agent standings, teams, reviewers
may_see_autoqa = _role_in(QUALITY_TEAM)
may_run_cycles = _role_in(QUALITY_TEAM)
may_organise_calibration = _role_in(QUALITY_TEAM)
may_join_calibration = _role_in(REVIEWERS)
may_decide_disputes = _role_in(ARBITERS)  # besides the review's own reviewer
has_own_performance = _role_in(AGENT_ROLES)  # agents and peers: "My performance"
may_administer = _role_in(frozenset({Role.ADMIN}))
may_manage_scorecards = may_administer
may_import = may_administer
may_start_workflow = _role_in(QUALITY_TEAM)  # start a conversation's request workflow
may_coach = _role_in(ARBITERS)  # leads coach their team, managers and admins everyone
# coaches, the agents they coach, and QA reviewers (who contribute library examples)
may_use_coaching = _role_in(ARBITERS | AGENT_ROLES | {Role.QA})
may_shop = _role_in(frozenset({Role.SHOPPER}))  # do mystery shops assigned to them
# Write scenarios' assignments and read every shop's results (shops cross teams).
may_run_mystery_shopping = _role_in(ORG_WIDE_ROLES)
may_use_mystery_shopping = _role_in(ORG_WIDE_ROLES | {Role.SHOPPER})
may_monitor_social = _role_in(ORG_WIDE_ROLES)  # brand-wide: no team's own
may_run_surveys = _role_in(QUALITY_TEAM)  # see survey results, send a conversation's survey
may_follow_up_surveys = _role_in(ARBITERS)  # record what came of a bad score's follow-up
# Survey links answer as the customer: only admins, who hand them to the help desk, see them.
may_see_survey_links = may_administer

# The names templates use: `{% if can.see_autoqa %}`.
CAPABILITIES: dict[str, Check] = {
    "browse_conversations": may_browse_conversations,
    "review": may_review,
    "see_team_reports": may_see_team_reports,
    "see_autoqa": may_see_autoqa,
    "run_cycles": may_run_cycles,
    "organise_calibration": may_organise_calibration,
    "join_calibration": may_join_calibration,
    "decide_disputes": may_decide_disputes,
    "own_performance": has_own_performance,
    "administer": may_administer,
    "manage_scorecards": may_manage_scorecards,
    "import": may_import,
    "start_workflow": may_start_workflow,
    "coach": may_coach,
    "use_coaching": may_use_coaching,
    "run_surveys": may_run_surveys,
    "use_mystery_shopping": may_use_mystery_shopping,
    "monitor_social": may_monitor_social,
}


class Capabilities:
    """`can.<name>` in templates: each check evaluated once per request, on first use."""

    def __init__(self, user: User) -> None:
        self._user = user
        self._seen: dict[str, bool] = {}

    def __getattr__(self, name: str) -> bool:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._seen:
            self._seen[name] = CAPABILITIES[name](self._user)
        return self._seen[name]


def capabilities(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the signed-in person's capabilities as `can`."""
    return {"can": Capabilities(request.user)}


def allowed(check: Check) -> Callable[[View], View]:
    """The first decorator of every view: people without the capability get a 404 (the page
    does not exist for them), whatever the method."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not check(request.user):
                raise Http404("No such page")
            return view(request, *args, **kwargs)

        guarded.permission = check  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate
