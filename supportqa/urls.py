from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from supportqa.accounts import reset, sso, two_factor
from supportqa.accounts import views as accounts
from supportqa.api import pages as api
from supportqa.assignments import views as assignments
from supportqa.autoqa import views as autoqa
from supportqa.calibration import views as calibration
from supportqa.coaching import views as coaching
from supportqa.conversations import views as conversations
from supportqa.home import views as home
from supportqa.integrations import views as integrations
from supportqa.notifications import views as notifications
from supportqa.privacy import views as privacy
from supportqa.reports import views as reports
from supportqa.reviews import views as reviews
from supportqa.scorecards import views as scorecards
from supportqa.shopping import views as shopping
from supportqa.social import views as social
from supportqa.surveys import views as surveys
from supportqa.workflow import report_views as management
from supportqa.workflow import views as workflow

urlpatterns = [
    path("", home.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="login.html", extra_context={"sso_name": sso.provider_name}
        ),
        name="login",
    ),
    path("oidc/authenticate/", sso.start, name="oidc_authentication_init"),
    path("oidc/callback/", sso.callback, name="oidc_authentication_callback"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", accounts.account, name="account"),
    path("account/tokens/", api.token_page, name="api-tokens"),
    path("account/two-factor/", two_factor.setup, name="two-factor"),
    path("account/two-factor/verify/", two_factor.verify, name="two-factor-verify"),
    path("webhooks/", api.webhook_list, name="webhook-list"),
    path("webhooks/<str:code>/", api.webhook_detail, name="webhook-detail"),
    path("password-reset/", reset.request_reset, name="password-reset"),
    path("password-reset/sent/", reset.reset_sent, name="password-reset-sent"),
    path("password-reset/<uidb64>/<token>/", reset.confirm_reset, name="password-reset-confirm"),
    path("password-reset/done/", reset.reset_done, name="password-reset-done"),
    path("people/", accounts.people, name="people"),
    path("people/new/", accounts.person_edit, name="person-new"),
    path("people/teams/", accounts.team_manage, name="team-manage"),
    path("people/<str:code>/", accounts.person_edit, name="person-edit"),
    path("conversations/", reviews.conversation_list, name="conversation-list"),
    path("conversations/<str:code>/", reviews.conversation_detail, name="conversation-detail"),
    path("conversations/<str:code>/workflow/", workflow.request_start, name="request-start"),
    path("conversations/<str:code>/survey/", surveys.send, name="survey-send"),
    path("surveys/", surveys.overview, name="survey-overview"),
    path("surveys/links.csv", surveys.links, name="survey-links"),
    path("surveys/follow-ups/<str:code>/", surveys.follow_up, name="survey-follow-up"),
    path("s/<str:token>/", surveys.answer, name="survey-answer"),
    path("privacy/erase/", privacy.erase_page, name="privacy-erase"),
    path("social/", social.home, name="social-home"),
    path("social/webhook/", social.webhook, name="social-webhook"),
    path("social/<str:code>/", social.detail, name="social-post"),
    path("mystery-shopping/", shopping.home, name="shop-home"),
    path("mystery-shopping/<str:code>/", shopping.detail, name="shop-detail"),
    path("requests/", workflow.request_list, name="request-list"),
    path("requests/new/", workflow.request_new, name="request-new"),
    path("requests/<str:code>/", workflow.request_detail, name="request-detail"),
    path("requests/<str:code>/archive.json", workflow.request_archive, name="request-archive"),
    path("management-reports/", management.report_list, name="management-report-list"),
    path(
        "management-reports/<str:code>/", management.report_detail, name="management-report-detail"
    ),
    path("management-reports/<str:code>/pdf/", management.report_pdf, name="management-report-pdf"),
    path(
        "management-reports/<str:code>/csv/<slug:table>/",
        management.report_csv,
        name="management-report-csv",
    ),
    path("coaching/", coaching.home, name="coaching-home"),
    path("coaching/new/", coaching.new, name="coaching-new"),
    path("coaching/library/", coaching.library_list, name="coaching-library"),
    path("coaching/library/<str:code>/", coaching.library_item, name="coaching-library-item"),
    path("coaching/agents/<str:code>/packet/", coaching.packet, name="coaching-packet"),
    path("coaching/<str:code>/", coaching.session_detail, name="coaching-session"),
    path("coaching/<str:code>/invite.ics", coaching.session_invite, name="coaching-invite"),
    path("coaching/<str:code>/report.pdf", coaching.session_report, name="coaching-report"),
    path("improvements/", management.action_list, name="improvement-list"),
    path("improvements/<str:code>/", management.action_detail, name="improvement-detail"),
    path("reviews/<str:code>/", reviews.review_detail, name="review-detail"),
    path("reviews/<str:code>/edit/", reviews.review_edit, name="review-edit"),
    path("reviews/<str:code>/acknowledge/", reviews.review_acknowledge, name="review-acknowledge"),
    path("reviews/<str:code>/dispute/", reviews.dispute_raise, name="dispute-raise"),
    path("reviews/<str:code>/flag/", autoqa.flag, name="autoqa-flag"),
    path(
        "reviews/<str:code>/disputes/<str:dispute>/decide/",
        reviews.dispute_decide,
        name="dispute-decide",
    ),
    path("agents/", reports.agent_list, name="agent-list"),
    path("agents/<str:code>/", reports.agent_detail, name="agent-detail"),
    path("queue/", assignments.queue, name="queue"),
    path("queue/cycles/new/", assignments.cycle_new, name="cycle-new"),
    path("queue/cycles/<str:code>/run/", assignments.cycle_run, name="cycle-run"),
    path("reviewers/", calibration.reviewer_list, name="reviewer-list"),
    path("calibration/", calibration.session_list, name="calibration-list"),
    path("calibration/new/", calibration.session_new, name="calibration-new"),
    path("calibration/<str:code>/", calibration.session_detail, name="calibration-detail"),
    path("calibration/<str:code>/reveal/", calibration.session_reveal, name="calibration-reveal"),
    path(
        "calibration/<str:code>/conversations/<str:conversation>/",
        calibration.session_review,
        name="calibration-review",
    ),
    path("notifications/", notifications.inbox, name="inbox"),
    path("notifications/read/", notifications.mark_all_read, name="notifications-read"),
    path(
        "notifications/settings/",
        notifications.notification_settings,
        name="notification-settings",
    ),
    path("notifications/<str:code>/", notifications.notification_open, name="notification-open"),
    path("autoqa/", autoqa.dashboard, name="autoqa"),
    path("autoqa/settings/", autoqa.settings_page, name="autoqa-settings"),
    path("autoqa/evaluate/", autoqa.evaluate_page, name="autoqa-evaluate"),
    path("causes/", reports.cause_list, name="cause-list"),
    path("staffing/", reports.staffing_plan, name="staffing"),
    path("topics/", reports.topic_list, name="topics"),
    path("teams/", reports.team_list, name="team-list"),
    path("teams/<str:code>/", reports.team_detail, name="team-detail"),
    path("scorecards/", scorecards.scorecard_list, name="scorecard-list"),
    path("scorecards/new/", scorecards.scorecard_build, name="scorecard-new"),
    path("scorecards/<slug:slug>/edit/", scorecards.scorecard_build, name="scorecard-edit"),
    path("scorecards/<slug:slug>/json/", scorecards.scorecard_json, name="scorecard-json"),
    path(
        "scorecards/<slug:slug>/versions/",
        scorecards.scorecard_versions,
        name="scorecard-versions",
    ),
    path("scorecards/<slug:slug>/validity/", reports.scorecard_validity, name="scorecard-validity"),
    path("imports/", integrations.import_page, name="import"),
    path("categorize/", conversations.categorize_page, name="categorize"),
    path(
        "categorize/model.joblib",
        conversations.categorizer_download,
        name="categorizer-download",
    ),
    path("imports/<str:code>/", integrations.import_run, name="import-run"),
    path("imports/<str:code>/retry/", integrations.import_retry, name="import-retry"),
    path("exports/<str:what>.<str:fmt>", integrations.export, name="export"),
    path("api/v1/", include("supportqa.api.urls")),
    path("admin/", admin.site.urls),
]
