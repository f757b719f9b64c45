"""One real-browser walk through the review loop: Playwright driving Debian's Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from supportqa.scorecards.models import Criterion
from tests.conftest import PASSWORD, chat_rubric

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

if not Path(CHROMIUM).exists() and os.environ.get("CI") != "true":
    pytest.skip("Chromium is not installed (CI installs it)", allow_module_level=True)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()
        # While Playwright's event loop runs, asgiref gives the test's ORM calls connections of
        # their own, which the test database teardown would not close: close them here.
        connections.close_all()


# axe-core from the npm registry (`make install-dev` runs `npm ci`), loaded into every page
# before its own scripts (an init script is not subject to the page's content security policy).
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ["serious", "critical"]


def accessibility_problems(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    return page.evaluate(
        """async (impacts) => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
                .filter((v) => impacts.includes(v.impact))
                .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3)
                    .map((n) => n.target.join(" ")).join(" | ")}`);
        }""",
        SERIOUS,
    )


def logged_in(browser, live_server, username):
    assert AXE.exists(), "axe-core is missing: run `make install-dev` (it runs `npm ci`)"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.add_init_script(path=str(AXE))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    return page


def test_reviewer_scores_a_conversation_and_sees_it_on_the_agent_page(live_server, cast, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = logged_in(browser, live_server, "qa")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav >> text=Conversations")
    page.wait_for_url(f"{live_server.url}/conversations/")

    page.select_option("#id_agent", cast.agent.code)
    page.click("text=Apply filters")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    page.screenshot(path=str(ARTIFACTS / "conversation-list.png"), full_page=True)
    rows.locator("a").first.click()
    page.wait_for_selector("#review-form")

    criteria = list(
        Criterion.objects.filter(section__version=chat_rubric()).order_by(
            "section__position", "position"
        )
    )
    for criterion in criteria:
        level = "1" if criterion.key == "personalization" else "0"
        page.check(f'input[name="rating-{criterion.code}"][value="{level}"]')
    page.locator("fieldset.criterion").first.locator("textarea").click()
    page.click('button.cite[data-seq="1"]')
    evidence = page.locator(f'input[name="evidence-{criteria[0].code}"]')
    assert evidence.input_value() == "1"
    page.screenshot(path=str(ARTIFACTS / "review-form.png"))
    page.click("button[value=submit]")
    page.wait_for_selector(".big-score")
    expected = (7 * 100 + 80) / 8  # one "Meets" (80 on version 2 of the rubric)
    assert f"{expected:.1f}%" in page.inner_text(".big-score")
    assert "#2" in page.inner_text("table")  # messages are numbered from 1 on pages

    page.goto(f"{live_server.url}/agents/{cast.agent.code}/")
    panel = page.inner_text(".kpis")
    assert f"{expected:.1f}%" in panel
    assert "n=1" in panel
    assert page.locator("svg.chart").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "agent-page.png"), full_page=True)


def test_lead_runs_a_calibration_session_in_the_browser(live_server, cast, browser):
    from supportqa.calibration.models import CalibrationSession
    from tests.conftest import make_conversation

    conversations = [make_conversation(cast.agent, cast.team, f"b{i}") for i in range(2)]
    page = logged_in(browser, live_server, "lead")
    page.goto(f"{live_server.url}/calibration/new/")
    page.fill("#id_title", "Browser calibration")
    for conversation in conversations:
        page.check(f'input[name="conversations"][value="{conversation.code}"]')
    page.check(f'input[name="participants"][value="{cast.qa.code}"]')
    page.check(f'input[name="participants"][value="{cast.manager.code}"]')
    page.click("text=Open session and notify participants")
    page.wait_for_selector("text=Reveal results")
    session = CalibrationSession.objects.get()
    criteria = list(Criterion.objects.filter(section__version=chat_rubric()))
    for user, level in ((cast.qa, "0"), (cast.manager, "1")):  # they disagree everywhere
        client = cast.client(user)
        for conversation in conversations:
            data = {f"rating-{c.code}": level for c in criteria}
            data.update(action="submit", scorecard="chat-quality")
            client.post(f"/calibration/{session.code}/conversations/{conversation.code}/", data)
    page.reload()
    assert "2 of 2 submitted" in page.inner_text("body")
    page.click("text=Reveal results")
    page.wait_for_selector("text=Agreement by criterion")
    assert page.locator("span.score.bad", has_text="ambiguous").count() == len(criteria)
    page.screenshot(path=str(ARTIFACTS / "calibration-results.png"), full_page=True)


def test_reviewer_starts_from_autoqa_and_sees_its_evidence(live_server, cast, browser):
    from supportqa.autoqa.actions import enqueue_changed, work
    from supportqa.reviews.models import Review, Source
    from tests.test_autoqa import write_transcript

    write_transcript(
        cast.conversation,
        "c: My parcel is lost again? This is ridiculous",
        "a: Calm down. Send your password and I will look.",
        "c: It still doesn't work",
    )
    enqueue_changed()
    work("browser-test")
    page = logged_in(browser, live_server, "qa")
    page.goto(f"{live_server.url}/conversations/{cast.conversation.code}/")
    mark = page.locator('mark[data-detector="politeness"]')
    assert mark.inner_text() == "Calm down"
    page.click("details.reviews-box summary")  # open the reviews' tabs: AutoQA's is first
    assert "Rude wording" in page.inner_text("#panel-autoqa")
    page.click("text=Start your review from AutoQA's ratings")
    page.wait_for_selector("text=check each one before you submit")
    page.screenshot(path=str(ARTIFACTS / "autoqa-conversation.png"), full_page=True)
    page.click("button[value=submit]")
    page.wait_for_selector(".big-score")
    human = Review.objects.get(conversation=cast.conversation, source=Source.QA)
    autoqa = Review.objects.get(conversation=cast.conversation, source=Source.AUTOQA)
    assert human.final_score == autoqa.final_score == 0  # compliance, critical, failed
    page.goto(f"{live_server.url}/autoqa/")
    assert "Agreement with human reviewers" in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "autoqa-page.png"), full_page=True)


def test_admin_changes_autoqa_settings_in_the_browser(live_server, cast, browser):
    from supportqa.autoqa.models import AutoQASettings

    ARTIFACTS.mkdir(exist_ok=True)
    page = logged_in(browser, live_server, "admin")
    page.goto(f"{live_server.url}/autoqa/")
    page.click("text=Settings")
    page.wait_for_url(f"{live_server.url}/autoqa/settings/")
    page.fill("#id_greetings", page.input_value("#id_greetings") + "\nyo")
    page.fill('[name="first_reply_target.chat"]', "45s")
    page.uncheck('[aria-label="Follow-Up: Follow up"]')
    page.screenshot(path=str(ARTIFACTS / "autoqa-settings.png"), full_page=True)
    page.click("text=Save and re-score")
    page.wait_for_selector(".flash .success")
    assert "settings differ from the defaults" in page.inner_text(".flash")
    row = AutoQASettings.objects.get()
    assert row.rules["greetings"][-1] == "yo" and row.rules["first_reply_target"]["chat"] == 45
    assert row.mapping == {"chat-quality": {"follow-up": []}}
    page.set_viewport_size({"width": 420, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "autoqa-settings-narrow.png"), full_page=True)


def test_reviewer_edits_a_submitted_review_with_a_reason(live_server, cast, browser):
    from tests.conftest import submitted_review

    ARTIFACTS.mkdir(exist_ok=True)
    review = submitted_review(cast.conversation, cast.qa, position=0)  # 100%
    page = logged_in(browser, live_server, "qa")
    page.goto(f"{live_server.url}/conversations/{cast.conversation.code}/")
    assert page.locator("#review-form").count() == 0  # a submitted review has no draft form
    page.click("text=Edit with a reason")
    page.wait_for_selector("#reason")
    compliance = Criterion.objects.get(section__version=chat_rubric(), key="compliance")
    page.check(f'input[name="rating-{compliance.code}"][value="2"]')
    assert page.get_attribute("#reason", "required") is not None  # the browser asks for it
    page.fill("#reason", "The customer's identity was never checked.")
    page.screenshot(path=str(ARTIFACTS / "review-edit.png"), full_page=True)
    page.click("button[value=edit]")
    page.wait_for_selector(".big-score")
    assert "0.0%" in page.inner_text(".big-score")
    assert "critical fail" in page.inner_text(".big-score")
    page.click("text=Version 1")
    assert "identity was never checked" in page.inner_text("#revisions-head + p + details")
    page.screenshot(path=str(ARTIFACTS / "review-revisions.png"), full_page=True)

    agent = logged_in(browser, live_server, "agent")
    agent.set_viewport_size({"width": 390, "height": 844})
    agent.goto(f"{live_server.url}/reviews/{review.code}/")
    assert "identity was never checked" in agent.inner_text("body")
    assert agent.locator("text=Edit with a reason").count() == 0
    agent.screenshot(path=str(ARTIFACTS / "review-revisions-narrow.png"), full_page=True)
    agent.goto(f"{live_server.url}/account/")
    assert "Password policy" in agent.inner_text("body")
    agent.screenshot(path=str(ARTIFACTS / "account-narrow.png"), full_page=True)
    agent.set_viewport_size({"width": 1366, "height": 900})
    agent.screenshot(path=str(ARTIFACTS / "account.png"), full_page=True)


def test_lead_sees_which_movements_are_real_changes(live_server, cast, browser):
    from tests.test_dashboards import _stepped_weeks

    ARTIFACTS.mkdir(exist_ok=True)
    _stepped_weeks(cast)  # two conversations a week, then eight a week for the last four
    page = logged_in(browser, live_server, "lead")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/teams/{cast.team.code}/")
    section = page.locator("#real-change")
    volume = section.locator("details", has_text="Conversations")
    assert volume.get_attribute("open") is not None  # a signal opens its chart
    assert volume.locator("svg.chart circle.dot.signal").count() >= 1
    assert volume.locator("svg.chart polyline.limit").count() == 2
    assert "above the control limits" in volume.inner_text()
    box = volume.locator("svg.chart").bounding_box()
    assert box is not None and 300 < box["width"] <= 760
    section.screenshot(path=str(ARTIFACTS / "control-charts.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    box = volume.locator("svg.chart").bounding_box()
    assert box is not None and box["width"] <= 390  # the chart shrinks with the phone
    section.screenshot(path=str(ARTIFACTS / "control-charts-narrow.png"))


def test_lead_finds_why_the_team_fails_and_opens_the_conversations(live_server, cast, browser):
    from tests.conftest import make_conversation
    from tests.test_causes import _tagged_review

    ARTIFACTS.mkdir(exist_ok=True)
    for i in range(3):
        conversation = make_conversation(cast.agent, cast.team, f"why{i}")
        _tagged_review(conversation, cast.qa, {"follow-up": [0], "tone": [i % 2]})
    page = logged_in(browser, live_server, "lead")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.click("nav >> text=Reports")
    page.click("nav >> text=Why we fail")
    page.wait_for_url(f"{live_server.url}/causes/")
    assert page.locator("svg.chart rect.bar").count() == 3
    assert page.locator("svg.chart rect.bar.vital").count() >= 1
    first = page.locator("table >> tbody tr >> nth=0")
    assert "Follow-Up: Closed too early" in first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "why-we-fail.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "why-we-fail-narrow.png"), full_page=True)
    first.locator("a").click()
    page.wait_for_selector("#result-count")
    assert page.inner_text("#result-count") == "3 conversations"
    assert "Closed too early" in page.inner_text(".chip-note")


def test_manager_plans_next_weeks_staffing(live_server, cast, browser):
    from tests.test_staffing import _busy_mornings

    ARTIFACTS.mkdir(exist_ok=True)
    _busy_mornings(cast)
    page = logged_in(browser, live_server, "manager")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.click("nav >> text=Reports")
    page.click("nav >> text=Staffing")
    page.fill("#id_handling_minutes", "30")
    page.click("text=Apply filters")
    page.wait_for_selector("table.staffing")
    assert page.locator("table.staffing tbody tr").count() == 7
    monday_nine = page.locator("table.staffing tbody tr >> nth=0").locator("td >> nth=9")
    assert monday_nine.inner_text().split("/")[0] != "0"  # busy mornings need agents
    assert "under" in (monday_nine.get_attribute("class") or "")  # one agent worked, more needed
    page.screenshot(path=str(ARTIFACTS / "staffing.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "staffing-narrow.png"), full_page=True)


def no_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_agent_is_told_of_a_review_acknowledges_it_and_the_reviewer_is_told(
    live_server, cast, browser
):
    from tests.conftest import submitted_review

    ARTIFACTS.mkdir(exist_ok=True)
    review = submitted_review(cast.conversation, cast.qa, position=1)
    agent = logged_in(browser, live_server, "agent")
    agent.wait_for_url(f"{live_server.url}/**")
    bell = agent.locator("a.bell")
    assert bell.get_attribute("aria-label") == "Notifications, 1 unread"
    assert bell.locator(".count").inner_text() == "1"
    bell.click()
    item = agent.locator("ul.inbox li.unread a")
    assert f"Qa reviewed your conversation “{cast.conversation.subject}”" in item.inner_text()
    agent.screenshot(path=str(ARTIFACTS / "inbox.png"), full_page=True)
    agent.set_viewport_size({"width": 390, "height": 844})
    assert no_sideways_scrolling(agent)
    agent.screenshot(path=str(ARTIFACTS / "inbox-narrow.png"), full_page=True)
    agent.set_viewport_size({"width": 1366, "height": 900})
    item.click()
    agent.wait_for_url(f"{live_server.url}/reviews/{review.code}/")
    assert agent.locator("a.bell .count").count() == 0  # opened: no longer unread
    agent.get_by_role("button", name="Acknowledge").click()
    agent.wait_for_selector(".acknowledged")
    agent.goto(f"{live_server.url}/notifications/settings/")
    agent.check('input[name="review_received"][value="immediately"]')
    agent.click("text=Save settings")
    agent.wait_for_selector(".flash li.success")
    assert agent.is_checked('input[name="review_received"][value="immediately"]')
    agent.screenshot(path=str(ARTIFACTS / "notification-settings.png"), full_page=True)
    agent.set_viewport_size({"width": 390, "height": 844})
    assert no_sideways_scrolling(agent)
    agent.screenshot(path=str(ARTIFACTS / "notification-settings-narrow.png"), full_page=True)

    qa = logged_in(browser, live_server, "qa")
    qa.wait_for_url(f"{live_server.url}/**")
    assert qa.locator("a.bell .count").inner_text() == "1"
    qa.click("a.bell")
    qa.click("text=Agent acknowledged your review")
    qa.wait_for_url(f"{live_server.url}/reviews/{review.code}/")
    assert "Acknowledged by Agent" in qa.locator(".acknowledged").inner_text()


@pytest.mark.parametrize("who", ["agent", "lead", "qa", "admin"])
def test_each_role_lands_on_its_home(live_server, cast, browser, who):
    from tests.conftest import submitted_review

    ARTIFACTS.mkdir(exist_ok=True)
    submitted_review(cast.conversation, cast.qa, position=1)
    page = logged_in(browser, live_server, who)
    page.wait_for_url(f"{live_server.url}/")
    expected = {
        "agent": "Waiting for your acknowledgement",
        "lead": "Your agents",
        "qa": "Your queue",
        "admin": "Background work",
    }[who]
    assert page.get_by_role("heading", name=expected).is_visible()
    if who != "qa":  # a QA reviewer's home has no figures of a period
        page.select_option("#days", "7")  # the period picker shows the period at once
        page.wait_for_url(f"{live_server.url}/?days=7")
    page.screenshot(path=str(ARTIFACTS / f"home-{who}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert no_sideways_scrolling(page)
    page.screenshot(path=str(ARTIFACTS / f"home-{who}-narrow.png"), full_page=True)


# The focused element, when the sticky action bar of the review form hides part of it.
HIDDEN_BY_THE_ACTION_BAR = """() => {
    const bar = document.querySelector("#review-form .form-actions");
    const field = document.activeElement;
    if (!bar || bar.contains(field)) return [];
    const under = field.getBoundingClientRect().bottom > bar.getBoundingClientRect().top + 1;
    return under ? [field.name || field.tagName] : [];
}"""


def test_reviewer_works_through_the_queue_with_the_keyboard(live_server, cast, browser):
    from supportqa.assignments.models import AssignmentItem
    from tests.conftest import queue_for

    ARTIFACTS.mkdir(exist_ok=True)
    queue_for(cast, cast.qa, conversations=2, quota=2)
    page = logged_in(browser, live_server, "qa")
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Start").click()
    page.wait_for_selector("#review-form")
    criteria = page.locator("fieldset.criterion")
    count = criteria.count()

    # Tab presses from the first criterion's options to the submit button.
    criteria.first.locator("input[type=radio]").first.focus()
    tabs, covered = 0, []
    while page.evaluate("document.activeElement.value") != "submit-next" and tabs < 200:
        page.keyboard.press("Tab")
        tabs += 1
        covered += page.evaluate(HIDDEN_BY_THE_ACTION_BAR)
    assert tabs < 200
    assert covered == []  # the sticky action bar never covers the field being filled in

    # A full review with the shortcuts from the first criterion: "2" (Meets) then "j" for
    # each, a message chosen and cited, then submit.
    criteria.first.locator("input[type=radio]").first.focus()
    keys = []
    for index in range(count):
        keys.append("2")
        if index < count - 1:
            keys.append("j")
    keys += ["k", "]", "c"]  # back one criterion, choose the first message, cite it
    for key in keys:
        page.keyboard.press(key)
    page.wait_for_selector(".running-score:has-text('8 of 8 rated')")
    assert "80.0%" in page.inner_text(".running-score")
    cited = criteria.nth(count - 2).locator('input[name^="evidence-"]').input_value()
    assert cited == "0"
    page.keyboard.press("?")
    assert page.locator("dialog.keys").is_visible()
    page.screenshot(path=str(ARTIFACTS / "review-keyboard.png"))
    page.keyboard.press("Escape")
    print(
        f"\nchat rubric: {tabs} Tab presses from the first criterion to Submit; "
        f"{len(keys) + 1} keystrokes for a full review with shortcuts (and one to submit)"
    )
    page.click("button[value=submit-next]")
    page.wait_for_selector("text=Next in your queue (1 left).")
    assert "(1 left)" in page.inner_text(".crumbs")
    assert AssignmentItem.objects.filter(review__isnull=False).count() == 1


PAGES = {
    "agent": ["/", "/conversations/", "conversation", "review", "own", "/notifications/",
              "/notifications/settings/", "/account/", "/account/tokens/", "/requests/",
              "request", "/coaching/", "coaching-session"],
    "qa": ["/", "/conversations/", "conversation", "review", "/queue/", "/calibration/",
           "calibration", "/reviewers/", "/agents/", "/teams/", "team", "/autoqa/",
           "/causes/", "/topics/", "/staffing/", "/notifications/", "/surveys/", "/social/",
           "/mystery-shopping/", "/account/two-factor/"],
    "lead": ["/", "review", "review-edit", "/agents/", "agent", "team", "/queue/",
             "/requests/?show=open", "request", "/management-reports/", "management-report",
             "/improvements/", "improvement", "/requests/new/", "/requests/?show=archive&q=x",
             "/coaching/", "coaching-session", "coaching-packet", "/coaching/new/",
             "/surveys/"],
    "admin": ["/", "/people/", "/people/new/", "/people/teams/", "/scorecards/",
              "/scorecards/chat-quality/edit/", "/scorecards/new/",
              "/scorecards/chat-quality/json/", "/scorecards/chat-quality/versions/",
              "/scorecards/chat-quality/validity/", "/imports/", "/categorize/",
              "/autoqa/settings/", "/autoqa/evaluate/", "/queue/cycles/new/",
              "/calibration/new/", "/privacy/erase/", "/webhooks/", "webhook"],
    "outsider": ["/", "/notifications/", "/no/such/page/", "/mystery-shopping/"],
}  # fmt: skip


@pytest.mark.parametrize("who", list(PAGES))
def test_every_page_passes_axe_for_each_role(live_server, cast, browser, who):
    """No serious or critical axe-core violation on any page a role visits."""
    from supportqa.calibration.actions import create_session
    from tests.conftest import submitted_review

    review = submitted_review(cast.conversation, cast.qa, position=1)
    session = create_session(
        title="Calibrate",
        version=chat_rubric(),
        organiser=cast.qa,
        conversations=[cast.teammate_conversation],
        participants=[cast.qa],
    )
    from supportqa.workflow.engine import start

    workflow = start(cast.conversation)
    from datetime import date

    from django.utils import timezone

    from supportqa.workflow.models import ImprovementAction, ManagementReport

    report = ManagementReport.objects.create(
        team=cast.team, first_day=date(2026, 1, 1), last_day=date(2026, 1, 31)
    )
    improvement = ImprovementAction.objects.create(
        team=cast.team, area="Training needs", description="Refund training", owner=cast.lead,
        due=date(2026, 2, 1), metric="csat", created_at=timezone.now(),
    )  # fmt: skip
    from supportqa.coaching.models import Session

    coaching_session = Session.objects.create(
        agent=cast.agent, coach=cast.lead, starts_at=timezone.now(),
        period_first=date(2026, 1, 1), period_last=date(2026, 1, 31),
    )  # fmt: skip
    from supportqa.api.models import Delivery, Webhook

    hook = Webhook.objects.create(url="https://example.test/hook", secret="s",
                                  events=["review.submitted"])  # fmt: skip
    Delivery.objects.create(webhook=hook, event="review.submitted", payload={}, attempts=2,
                            response_code=500, error="answered 500 Server Error")  # fmt: skip
    named = {
        "webhook": f"/webhooks/{hook.code}/",
        "coaching-session": f"/coaching/{coaching_session.code}/",
        "coaching-packet": f"/coaching/agents/{cast.agent.code}/packet/",
        "management-report": f"/management-reports/{report.code}/",
        "improvement": f"/improvements/{improvement.code}/",
        "request": f"/requests/{workflow.code}/",
        "conversation": f"/conversations/{cast.conversation.code}/",
        "review": f"/reviews/{review.code}/",
        "review-edit": f"/reviews/{review.code}/edit/",
        "own": f"/agents/{cast.agent.code}/",
        "agent": f"/agents/{cast.agent.code}/",
        "team": f"/teams/{cast.team.code}/",
        "calibration": f"/calibration/{session.code}/",
    }
    page = logged_in(browser, live_server, who)
    page.wait_for_url(f"{live_server.url}/")
    found = []
    for entry in PAGES[who]:
        page.goto(live_server.url + named.get(entry, entry))
        found += [f"{entry}: {problem}" for problem in accessibility_problems(page)]
    assert found == [], "\n".join(found)


def test_the_review_loop_as_four_people(live_server, cast, browser):
    """A QA reviewer works through a queue with the keyboard and "Submit and next"; the agent
    is told, opens the reviews from the home page, acknowledges one and disputes the other;
    the reviewer is told and decides; the agent sees the decision; the lead sees it all."""
    from supportqa.reviews.models import Dispute, Review
    from tests.conftest import queue_for

    ARTIFACTS.mkdir(exist_ok=True)
    queue_for(cast, cast.qa, conversations=2, quota=2)

    qa = logged_in(browser, live_server, "qa")
    qa.wait_for_url(f"{live_server.url}/")
    qa.get_by_role("link", name="Start").click()
    for left in (2, 1):
        qa.wait_for_selector("#review-form")
        assert f"({left} left)" in qa.inner_text(".crumbs")
        qa.locator("fieldset.criterion").first.locator("input[type=radio]").first.focus()
        count = qa.locator("fieldset.criterion").count()
        for index in range(count):
            qa.keyboard.press("2" if index else "3")  # Below on Response Time, else Meets
            qa.keyboard.press("j")
        qa.click("button[value=submit-next]")
    qa.wait_for_url(f"{live_server.url}/queue/")
    assert accessibility_problems(qa) == []

    agent = logged_in(browser, live_server, "agent")
    agent.wait_for_url(f"{live_server.url}/")
    assert agent.locator("a.bell .count").inner_text() == "2"
    waiting = agent.locator("#ack-head + ul li a")
    assert waiting.count() == 2
    waiting.first.click()
    agent.get_by_role("button", name="Acknowledge").click()
    agent.wait_for_selector(".acknowledged")
    agent.goto(f"{live_server.url}/")
    agent.locator("#ack-head + ul li a").first.click()
    disputed_url = agent.url
    agent.locator('input[type=checkbox][name^="dispute-"]').first.check()
    agent.locator('select[name^="proposed-"]').first.select_option("1")  # Meets, not Below
    agent.fill("#reason", "I replied within two minutes.")
    agent.click("text=Send dispute")
    agent.wait_for_selector(".flash li.success")

    qa.goto(f"{live_server.url}/")
    # the acknowledgement and the dispute (the assignment was read on the queue page)
    assert qa.locator("a.bell .count").inner_text() == "2"
    qa.click("a.bell")
    qa.locator("ul.inbox li.unread a", has_text="disputed").click()
    assert qa.url == disputed_url
    qa.locator('input[name="accept"]').first.check()
    qa.fill("#decision_reason", "Right: the reply came in time.")
    qa.get_by_role("button", name="Decide").click()
    qa.wait_for_selector(".flash li.success")
    assert Dispute.objects.get().status == Dispute.Status.ACCEPTED

    agent.goto(f"{live_server.url}/notifications/?show=unread")
    decision = agent.locator("ul.inbox li.unread a", has_text="decided the dispute")
    assert "accepted" in decision.inner_text()
    decision.click()
    assert "Decided by Qa" in agent.inner_text("main")
    agent.screenshot(path=str(ARTIFACTS / "loop-agent-decision.png"), full_page=True)

    lead = logged_in(browser, live_server, "lead")
    lead.wait_for_url(f"{live_server.url}/")
    row = lead.locator("table.roster tbody tr", has_text="Agent").first
    assert row.locator("td").last.inner_text() == "2"  # both reviews in this period
    lead.screenshot(path=str(ARTIFACTS / "loop-lead-home.png"), full_page=True)
    assert Review.objects.filter(acknowledged_at__isnull=False).count() == 1


def test_lead_picks_dates_and_compares_with_the_period_before(live_server, cast, browser):
    from datetime import timedelta

    from django.utils import timezone

    page = logged_in(browser, live_server, "lead")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/teams/{cast.team.code}/")
    assert page.locator("#from").is_hidden()  # until "Dates…" is chosen
    page.select_option("#days", "custom")
    today = timezone.localdate()
    page.fill("#from", (today - timedelta(days=13)).isoformat())
    page.fill("#to", today.isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"{live_server.url}/teams/{cast.team.code}/?days=custom**")
    assert page.input_value("#from") == (today - timedelta(days=13)).isoformat()
    assert "before:" in page.inner_text(".kpis")
    page.locator(".page-head").screenshot(path=str(ARTIFACTS / "period-dates.png"))
    assert accessibility_problems(page) == []


def test_admin_builds_a_scorecard_and_watches_the_preview(live_server, cast, browser):
    """The builder: the preview follows a sample rating as it is picked (no button), a
    criterion is added and moved, and saving publishes the next version."""
    page = logged_in(browser, live_server, "admin")
    page.goto(f"{live_server.url}/scorecards/chat-quality/edit/")
    preview = page.locator("#preview tbody tr >> nth=0")
    assert "100.0%" in preview.inner_text()
    critical = page.locator("fieldset.b-criterion:has(input[name$=-critical]:checked)").first
    critical.locator("select").select_option(label="Below Expectations (0)")
    preview.locator("text=critical fail").wait_for()  # the script posts the draft on change
    assert "0.0%" in preview.inner_text()
    page.click("button[value='add-criterion:0']")
    page.wait_for_selector("#s-0-c-8")
    assert page.evaluate("document.activeElement.id") == "s-0-c-8"  # the new part is in view
    page.fill("#s-0-c-8-name", "Follows up")
    page.click("button[value='up-criterion:0:8']")
    page.wait_for_selector("#s-0-c-7-name[value='Follows up']")
    assert accessibility_problems(page) == []
    page.screenshot(path=str(ARTIFACTS / "scorecard-builder.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert no_sideways_scrolling(page)
    page.screenshot(path=str(ARTIFACTS / "scorecard-builder-narrow.png"), full_page=True)
    page.click("button[value=publish]")
    page.wait_for_selector("text=Published Chat quality rubric v3")
    assert "criterion “Follows up” added" in page.inner_text("main")


def test_the_reviews_of_a_conversation_sit_in_tabs(live_server, cast, browser):
    """AutoQA's review and each person's review get a tab; one panel shows at a time and
    the arrow keys move between the tabs (ARIA tabs pattern)."""
    from tests.test_blind_review import with_autoqa_and_a_lead_review

    lead_review = with_autoqa_and_a_lead_review(cast)
    page = logged_in(browser, live_server, "qa")
    page.goto(f"{live_server.url}/conversations/{cast.conversation.code}/")
    page.click("details.reviews-box summary")
    tabs = page.locator("[role=tab]")
    assert tabs.count() == 2  # people's reviews first, AutoQA's last
    assert page.is_visible(f"#panel-{lead_review.code}")
    assert not page.is_visible("#panel-autoqa")
    assert "Meets Expectations" in page.inner_text(f"#panel-{lead_review.code}")
    page.focus(f"#tab-{lead_review.code}")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.id") == "tab-autoqa"
    assert page.is_visible("#panel-autoqa") and not page.is_visible(f"#panel-{lead_review.code}")
    assert accessibility_problems(page) == []
    page.screenshot(path=str(ARTIFACTS / "review-tabs.png"))


def test_one_request_through_all_four_gates_to_an_improvement_action(live_server, cast, browser):
    """Issue #13's walk: a lead starts the workflow on a conversation; the representative,
    QA, the lead and a manager each do their steps on the request's page; gate 4 is decided
    on the team's management report; the manager records an improvement action."""
    from supportqa.workflow.engine import active_record
    from supportqa.workflow.models import ImprovementAction, ManagementReport, Request

    ARTIFACTS.mkdir(exist_ok=True)
    people = {who: logged_in(browser, live_server, who) for who in ("agent", "qa", "lead",
                                                                     "manager")}  # fmt: skip
    lead = people["lead"]
    lead.goto(f"{live_server.url}/conversations/{cast.conversation.code}/")
    lead.get_by_role("button", name="Start the quality-control workflow").click()
    lead.wait_for_selector("text=The quality-control workflow has started.")
    request = Request.objects.get()
    url = f"{live_server.url}/requests/{request.code}/"

    def step(
        who: str, *, choice: str = "", comment: str = "", button: str = "Done", reply: str = ""
    ) -> None:
        page = people[who]
        page.goto(url)
        expected = active_record(request).step.name
        assert f"Now: {active_record(request).step.position}. {expected}" in page.inner_text("main")
        if choice:
            page.select_option("#choice", choice)
        if comment:
            page.fill("#comment", comment)
        if reply:
            page.fill("#reply", reply)
        page.get_by_role("button", name=button, exact=True).click()
        page.wait_for_selector(".flash li.success")

    step("agent", choice="Yes")
    step("lead", button="Approve")  # gate 1
    # The conversation was imported with the agent's reply: step 7 is recorded from the help
    # desk ("test"); replies written in SupportQA are tested in test_workflow.
    assert request.records.get(step__key="respond").data["source"] == "test"
    from tests.conftest import submitted_review

    submitted_review(cast.conversation, cast.qa, position=1)  # the response check (its page
    step("qa", comment="Accurate and polite.")  # is walked in the review tests)
    step("qa", comment="Good use of the customer's name; quote the policy next time.")
    agent = people["agent"]
    agent.goto(url)
    assert "quote the policy next time" in agent.inner_text("main")
    agent.get_by_role("button", name="I have read it").click()
    agent.wait_for_selector(".flash li.success")
    lead.goto(url)
    assert "What you approve" in lead.inner_text("main")
    lead.screenshot(path=str(ARTIFACTS / "workflow-gate-2.png"), full_page=True)
    step("lead", button="Approve")  # gate 2
    step("agent", comment="The customer thanked us on the phone.")
    step("qa", choice="Good")
    step("lead", button="Approve")  # gate 3
    step("lead", comment="Well handled; see the QA note.")
    step("lead")  # into the team's management report
    lead.goto(url)
    lead.get_by_role("link", name="management report").click()
    lead.fill("#summary", "One refund request, well handled.")
    lead.get_by_role("button", name="Submit to management").click()
    lead.wait_for_selector("text=Submitted to management")
    manager = people["manager"]
    manager.goto(lead.url)
    manager.fill("#comment", "Agreed.")
    manager.get_by_role("button", name="Approve").click()
    manager.wait_for_selector(".flash li.success")
    assert ManagementReport.objects.get().state == "approved"
    assert accessibility_problems(manager) == []
    manager.screenshot(path=str(ARTIFACTS / "workflow-management-report.png"), full_page=True)
    manager.goto(url)
    manager.get_by_label("Training needs").check()
    manager.get_by_role("button", name="Done", exact=True).click()
    manager.wait_for_selector("text=Action: Training needs")
    manager.fill("#action-1-description", "Refund policy refresher for the team.")
    manager.select_option("#action-1-owner", label="Lead (Team lead)")
    manager.select_option("#action-1-metric", "csat")
    assert accessibility_problems(manager) == []
    manager.get_by_role("button", name="Done", exact=True).click()
    manager.wait_for_selector("text=the request is closed")
    action = ImprovementAction.objects.get()
    manager.goto(f"{live_server.url}/improvements/{action.code}/")
    assert "Refund policy refresher" in manager.inner_text("main")
    manager.screenshot(path=str(ARTIFACTS / "workflow-improvement.png"), full_page=True)
    request.refresh_from_db()
    assert request.state == "closed" and request.records.filter(state="done").count() == 20


def test_a_lead_coaches_an_agent_from_the_packet_to_the_follow_up(live_server, cast, browser):
    """Issue #14's walk: the lead reads the packet, plans a session, writes the record with
    an area and a SMART goal (a failed check first), the agent writes their reflection and
    signs, the lead signs and plans a follow-up."""
    from datetime import timedelta

    from django.utils import timezone

    from supportqa.coaching.models import Goal, Session
    from tests.conftest import make_conversation, submitted_review

    ARTIFACTS.mkdir(exist_ok=True)
    for i in range(5):  # the agent meets expectations; the teammate exceeds them
        mine = make_conversation(cast.agent, cast.team, f"mine-{i}",
                                 created=timezone.now() - timedelta(days=3))  # fmt: skip
        submitted_review(mine, cast.qa, position=1)
        theirs = make_conversation(cast.teammate, cast.team, f"theirs-{i}",
                                   created=timezone.now() - timedelta(days=3))  # fmt: skip
        submitted_review(theirs, cast.qa, position=0)
    lead = logged_in(browser, live_server, "lead")
    lead.goto(f"{live_server.url}/coaching/")
    lead.get_by_role("link", name="Agent", exact=True).click()
    assert "Rubric grades and patterns" in lead.inner_text("main")
    assert accessibility_problems(lead) == []
    lead.screenshot(path=str(ARTIFACTS / "coaching-packet.png"), full_page=True)
    lead.get_by_role("link", name="Plan a session").click()
    when = (timezone.localtime() + timedelta(days=2)).replace(hour=10, minute=0)
    lead.fill("#starts_at", when.strftime("%Y-%m-%dT%H:%M"))
    lead.get_by_role("button", name="Plan and send the invitation").click()
    lead.wait_for_selector(".flash li.success")
    session = Session.objects.get()
    lead.fill("#positives", "Warm tone; clear next steps.")
    lead.select_option("#area-1-metric", "iqs")
    lead.fill("#area-1-note", "Check the order before answering.")
    lead.fill("#area-1-examples", cast.agent.conversations.first().code)
    lead.select_option("#goal-1-metric", "iqs")
    lead.fill("#goal-1-target", "120")
    lead.fill("#goal-1-due", (timezone.localdate() + timedelta(days=30)).isoformat())
    lead.get_by_role("button", name="Save the record").click()
    assert "M ✗ the target 120 is outside" in lead.inner_text("ul.smart")
    lead.fill("#goal-1-target", "90")
    lead.get_by_role("button", name="Save the record").click()
    lead.wait_for_selector(".flash li.success")
    assert Goal.objects.get().target == 90
    # The session takes place; then the record is signed.
    Session.objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    agent = logged_in(browser, live_server, "agent")
    agent.goto(f"{live_server.url}/coaching/{session.code}/")
    agent.fill("#self_reflection", "I answer before reading the order.")
    agent.get_by_role("button", name="Save my reflection").click()
    agent.wait_for_selector(".flash li.success")
    agent.get_by_role("button", name="I agree with this record: sign").click()
    agent.wait_for_selector(".flash li.success")
    assert accessibility_problems(agent) == []
    lead.goto(f"{live_server.url}/coaching/{session.code}/")
    assert "I answer before reading the order." in lead.inner_text("main")
    lead.get_by_role("button", name="I agree with this record: sign").click()
    lead.wait_for_selector(".flash li.success")
    session.refresh_from_db()
    assert session.state == Session.State.SIGNED
    lead.screenshot(path=str(ARTIFACTS / "coaching-session.png"), full_page=True)
    agent.goto(f"{live_server.url}/coaching/{session.code}/")
    for aspect, score in (("useful", "5"), ("specific", "4"), ("fair", "5")):
        agent.check(f"input[name={aspect}][value='{score}']")
    agent.get_by_role("button", name="Send").click()
    agent.wait_for_selector(".flash li.success")
    assert session.__class__.objects.get(pk=session.pk).rating.specific == 4
    lead.get_by_role("link", name="Plan a follow-up").click()
    lead.fill("#starts_at", (when + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"))
    lead.get_by_role("button", name="Plan and send the invitation").click()
    lead.wait_for_selector(".flash li.success")
    assert Session.objects.get(follows=session).agent == cast.agent


def test_a_customer_answers_a_survey_and_the_lead_follows_up_the_bad_score(
    live_server, cast, browser, settings
):
    """Issue #15 §1: an admin sends a resolved conversation's survey; the customer answers it
    on the public page (no login, at phone width, accessible); the bad score reaches the lead
    at once, who records the follow-up; the response rate moves from 0% to 100%."""
    from datetime import timedelta

    from django.utils import timezone

    from supportqa.conversations.models import Customer
    from supportqa.surveys.models import FollowUp, Template

    settings.SUPPORTQA_BASE_URL = live_server.url
    Template.objects.create(name="After chat", csat_scale=5, ask_nps=True)
    conversation = cast.conversation
    conversation.customer = Customer.objects.create(source="test", external_id="c1",
                                                    name="Maria Lopez")  # fmt: skip
    conversation.resolved_at = timezone.now() - timedelta(hours=1)
    conversation.save()

    admin = logged_in(browser, live_server, "admin")
    admin.goto(f"{live_server.url}/conversations/{conversation.code}/")
    admin.select_option("#survey-template", label="After chat")
    admin.click("text=Send survey")
    admin.wait_for_selector("text=ready for the help desk to send")
    link = admin.input_value("#survey-link")
    assert link.startswith(f"{live_server.url}/s/")

    lead = logged_in(browser, live_server, "lead")
    lead.goto(f"{live_server.url}/surveys/")
    assert "0.0%" in lead.inner_text("#rates-head + .table-wrap")

    customer = browser.new_page(viewport={"width": 390, "height": 844})
    customer.add_init_script(path=str(AXE))
    customer.goto(link)
    assert "Hello Maria," in customer.inner_text("main")
    assert accessibility_problems(customer) == []
    for name, value in (("csat", "1"), ("nps", "3")):  # the visible label, as a person taps it
        customer.locator(
            "label", has=customer.locator(f"input[name={name}][value='{value}']")
        ).click()
    customer.click("text=Send")
    customer.wait_for_selector("text=What went wrong?")
    assert no_sideways_scrolling(customer)
    customer.screenshot(path=str(ARTIFACTS / "survey-follow-up-question-390.png"), full_page=True)
    customer.fill("#follow-up", "Nobody read my second message.")
    customer.click("text=Send")
    customer.wait_for_selector("text=Your answers have reached us.")
    assert accessibility_problems(customer) == []

    lead.goto(f"{live_server.url}/notifications/")
    lead.click("text=A customer gave CSAT 1 of 5")
    lead.wait_for_selector("text=Nobody read my second message.")
    assert accessibility_problems(lead) == []
    lead.check("input[value=resolved]")
    lead.fill("#note", "Called Maria; the refund is on its way.")
    lead.click("text=Record the follow-up")
    lead.wait_for_selector("text=Follow-up recorded.")
    assert FollowUp.objects.get().outcome == "resolved"
    lead.goto(f"{live_server.url}/surveys/")
    assert "100.0%" in lead.inner_text("#rates-head + .table-wrap")
    lead.screenshot(path=str(ARTIFACTS / "surveys.png"), full_page=True)


def test_a_mystery_shopper_records_an_assigned_shop(live_server, cast, browser):
    """Issue #15 §2: QA assigns a scenario; the shopper finds it on their home page, records
    the contact and the evaluation; the result shows on the mystery-shop dashboard."""
    from django.utils import timezone

    from supportqa.scorecards.actions import publish_version
    from supportqa.scorecards.models import Scorecard
    from supportqa.shopping.defaults import evaluation_form
    from supportqa.shopping.models import Assignment, Scenario

    spec = evaluation_form()
    form = Scorecard.objects.create(slug=spec["slug"], name=spec["name"], kind="mystery_shop")
    publish_version(scorecard=form, spec=spec, by=cast.admin)
    scenario = Scenario.objects.create(name="Refund by phone", objective="Refunds explained?",
                                       script="Ask for a refund.", channel="phone",
                                       scorecard=form)  # fmt: skip
    scenario.teams.add(cast.team)

    qa = logged_in(browser, live_server, "qa")
    qa.goto(f"{live_server.url}/mystery-shopping/")
    qa.select_option("#shopper", label="Outsider")
    qa.fill("#due", timezone.localdate().isoformat())
    qa.click("button:text-is('Assign')")
    qa.wait_for_selector("text=assigned to Outsider")

    shopper = logged_in(browser, live_server, "outsider")
    shopper.click("text=Refund by phone")
    shopper.select_option("#agent", label="Agent")
    shopper.fill("#notes", "Answered in a minute; the refund date was given.")
    for fieldset in shopper.locator("fieldset.criterion").all():
        fieldset.locator("label.option").nth(1).click()  # Meets Expectations
    assert accessibility_problems(shopper) == []
    shopper.click("button:text-is('Record the shop')")
    shopper.wait_for_selector("text=Shop recorded.")
    assert Assignment.objects.get().state == Assignment.State.DONE

    qa.goto(f"{live_server.url}/mystery-shopping/")
    results = qa.inner_text("#results-head + h3 + p")
    assert results.startswith("Score 80.0%")
    assert accessibility_problems(qa) == []
    qa.screenshot(path=str(ARTIFACTS / "mystery-shopping.png"), full_page=True)


def test_qa_sees_the_social_spike_and_triages_a_complaint(live_server, cast, browser):
    """Issue #15 §3: eight weeks of imported posts with a spike two days ago: the alert, the
    daily control charts and the triage of a complaint."""
    from datetime import UTC, datetime, timedelta

    from django.utils import timezone

    from supportqa.social import trends
    from supportqa.social.ingest import PostRecord, ingest
    from supportqa.social.models import Post

    today = timezone.now().astimezone(UTC).date()
    records = []
    for back in range(30, 0, -1):
        day = datetime.combine(today - timedelta(days=back), datetime.min.time(), UTC)
        count = 40 if back == 2 else 8 + back % 5
        for i in range(count):
            text = "@Brand the app is down, can't log in" if back == 2 else "@Brand thanks!"
            records.append(PostRecord(i, "file", f"{back}-{i}", text, day + timedelta(hours=10)))
    ingest(records)
    trends.check_alerts(timezone.localdate())

    page = logged_in(browser, live_server, "qa")
    page.goto(f"{live_server.url}/social/")
    assert "posts 40, control limit" in page.inner_text("#alerts-head + ul")
    assert page.locator("#real-change svg").count() == 3
    assert accessibility_problems(page) == []
    page.screenshot(path=str(ARTIFACTS / "social.png"), full_page=True)
    page.click("table a >> nth=0")
    page.check("input[value=replied]")
    page.fill("#reply", "Sorry, we are on it: service is back in ten minutes.")
    page.click("button:text-is('Record')")
    page.wait_for_selector("text=Triage recorded.")
    assert Post.objects.filter(triage=Post.Triage.REPLIED).count() == 1
    assert accessibility_problems(page) == []


def test_a_lead_makes_an_api_token_and_a_program_uses_it(live_server, cast, browser):
    """The token page as a lead would use it: choose what it may do, copy the token shown
    once, call the API with it; then the API's documentation page, served from the package."""
    import json
    import urllib.request

    ARTIFACTS.mkdir(exist_ok=True)
    page = logged_in(browser, live_server, "lead")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/account/")
    page.get_by_role("link", name="Manage API tokens").click()
    page.fill("#token-name", "Team dashboard")
    page.get_by_label("Read agents' and teams' kpis").check()
    page.get_by_label("Read people and teams").check()
    page.click("button:text-is('Make token')")
    secret = page.input_value("#secret")
    assert secret.startswith("sqa_")
    page.screenshot(path=str(ARTIFACTS / "api-tokens.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "api-tokens-narrow.png"), full_page=True)
    assert accessibility_problems(page) == []
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/teams/{cast.team.code}/kpis/?days=30",
        headers={"Authorization": f"Bearer {secret}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        figures = json.load(answer)
    assert figures["subject"] == cast.team.code and "low" in figures["csat"]
    page.reload()  # the token is not shown again, and no second one is made
    assert page.locator("#secret").count() == 0
    assert page.locator("td[data-label=Uses]").all_inner_texts() == ["1"]
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector("text=/api/v1/conversations/")
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))


def test_a_qa_reviewer_turns_on_two_step_sign_in(live_server, cast, browser):
    """Scan (here: read the key off the page), confirm with a code, keep the recovery codes;
    the next sign-in asks for a code before any page."""
    from base64 import b32decode
    from binascii import hexlify

    from django_otp.oath import TOTP

    ARTIFACTS.mkdir(exist_ok=True)
    page = logged_in(browser, live_server, "qa")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/account/")
    page.get_by_role("link", name="Set up or change two-step sign-in").click()
    assert page.locator(".qr svg").count() == 1
    page.screenshot(path=str(ARTIFACTS / "two-factor-setup.png"), full_page=True)
    key = page.locator("strong.mono").inner_text().replace(" ", "")
    secret = b32decode(key + "=" * (-len(key) % 8))

    def code(offset: int = 0) -> str:
        totp = TOTP(secret)
        totp.time = totp.time + 30 * offset
        return f"{totp.token():06d}"

    page.fill("#id_code", code())
    page.click("button:text-is('Turn on')")
    page.wait_for_selector("#codes-head")
    assert page.locator("ul.recovery-codes li").count() == 10
    assert accessibility_problems(page) == []
    page.set_viewport_size({"width": 390, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "two-factor-codes-narrow.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    again = logged_in(browser, live_server, "qa")
    again.wait_for_url("**/account/two-factor/verify/**")
    assert again.locator("nav").count() == 0  # nothing else until the code is given
    assert accessibility_problems(again) == []
    again.screenshot(path=str(ARTIFACTS / "two-factor-verify.png"))
    again.fill("#id_code", code(1))
    again.click("button:text-is('Continue')")
    again.wait_for_url(f"{live_server.url}/")
    assert hexlify(secret)  # (the key the page showed is the one that worked)
