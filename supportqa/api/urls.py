"""`/api/v1/`: the endpoints, the OpenAPI schema and its browsable docs (served from the
installed package: nothing from a CDN)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from supportqa.accounts.permissions import anyone
from supportqa.api import views


def endpoint(view: type[Any], **options: Any) -> Any:
    """The view for a URL: DRF signs people in itself (a token or the session), so Django's
    login redirect stays out; `permission` states who may use it, as every view does."""
    callback = login_not_required(view.as_view(**options))
    callback.permission = getattr(view, "capability", anyone)
    return callback


urlpatterns = [
    path("schema/", endpoint(SpectacularAPIView), name="api-schema"),
    path("docs/", endpoint(SpectacularSwaggerSplitView, url_name="api-schema"), name="api-docs"),
    path("conversations/", endpoint(views.ConversationList), name="api-conversations"),
    path("conversations/<str:code>/", endpoint(views.ConversationDetail),
         name="api-conversation"),
    path("surveys/", endpoint(views.SurveyList), name="api-surveys"),
    path("people/", endpoint(views.PersonList), name="api-people"),
    path("teams/", endpoint(views.TeamList), name="api-teams"),
    path("teams/<str:code>/kpis/", endpoint(views.TeamKpis), name="api-team-kpis"),
    path("agents/<str:code>/kpis/", endpoint(views.AgentKpis), name="api-agent-kpis"),
    path("scorecards/", endpoint(views.ScorecardList), name="api-scorecards"),
    path("reviews/", endpoint(views.ReviewList), name="api-reviews"),
    path("reviews/<str:code>/", endpoint(views.ReviewDetail), name="api-review"),
    path("disputes/", endpoint(views.DisputeList), name="api-disputes"),
    path("autoqa/findings/", endpoint(views.FindingList), name="api-findings"),
    path("calibration/sessions/", endpoint(views.CalibrationList), name="api-calibrations"),
    path("calibration/sessions/<str:code>/", endpoint(views.CalibrationDetail),
         name="api-calibration"),
    path("assignments/", endpoint(views.AssignmentList), name="api-assignments"),
    path("requests/", endpoint(views.RequestList), name="api-requests"),
    path("coaching/sessions/", endpoint(views.CoachingList), name="api-coaching"),
]  # fmt: skip
