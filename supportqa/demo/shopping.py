"""The demo's mystery shopping (PRODUCT.md §3.9): the evaluation form, two scenarios, eighteen
shops Shay Shopper did over the last two months (rated from each agent's habits, so the
shops agree with the reviews where the behaviour is the same), and three to do, one overdue."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.utils import timezone

from supportqa.accounts.models import Team, User
from supportqa.demo.generate import AGENTS, Habit
from supportqa.notifications.actions import muted
from supportqa.reviews.actions import RatingInput
from supportqa.scorecards.actions import publish_version
from supportqa.scorecards.models import Criterion, Scorecard
from supportqa.shopping import actions
from supportqa.shopping.defaults import evaluation_form
from supportqa.shopping.models import Assignment, Scenario

SCENARIOS = (
    ("Refund for a late delivery", "phone", ["Bravo"],
     "Do agents explain the refund policy correctly and give a date?",
     "Call about an order that arrived 10 days late. Ask for a refund of the delivery fee. "
     "Ask when the money will be back on your card."),
    ("Cancel a subscription", "chat", ["Alpha", "Charlie"],
     "Do agents check identity before changing an account, and offer the right options?",
     "Open a chat: you want to cancel your subscription today. Give your e-mail address "
     "when asked. Ask whether you keep access until the end of the month."),
)  # fmt: skip


def build_shopping(seed: int = 5) -> int:
    """Mystery shopping (once: not when a scenario exists). Returns how many shops are done."""
    admin = User.objects.filter(username="admin").first()
    shopper = User.objects.filter(username="shopper").first()
    if Scenario.objects.exists() or admin is None or shopper is None:
        return 0
    rng = random.Random(seed)
    spec = evaluation_form()
    form = Scorecard.objects.create(slug=spec["slug"], name=spec["name"],
                                    description=spec["description"],
                                    kind=Scorecard.Kind.MYSTERY_SHOP)  # fmt: skip
    publish_version(scorecard=form, spec=spec, by=admin)
    scenarios = []
    for name, channel, teams, objective, script in SCENARIOS:
        scenario = Scenario.objects.create(name=name, channel=channel, objective=objective,
                                           script=script, scorecard=form)  # fmt: skip
        scenario.teams.set(Team.objects.filter(name__in=teams))
        scenarios.append(scenario)
    habits = {username: habit for username, _, _, habit in AGENTS}
    now = timezone.now()
    done = 0
    with muted():
        for index in range(18):
            scenario = scenarios[index % 2]
            agent = rng.choice(list(actions.targets(scenario)))
            happened = now - timedelta(days=rng.uniform(3, 60))
            _shop(rng, scenario, shopper, admin, agent, habits.get(agent.username), happened)
            done += 1
    for days, scenario in ((-2, scenarios[0]), (3, scenarios[1]), (6, scenarios[0])):
        assignment = actions.assign(scenario=scenario, shopper=shopper,
                                    due=timezone.localdate(), by=admin)  # fmt: skip
        Assignment.objects.filter(pk=assignment.pk).update(
            due=timezone.localdate() + timedelta(days=days)
        )
    return done


def _shop(
    rng: random.Random,
    scenario: Scenario,
    shopper: User,
    by: User,
    agent: User,
    habit: Habit | None,
    happened: datetime,
) -> None:
    habit = habit or Habit()
    quality = {
        "greeting": 0.5 + 0.5 * habit.uses_name,
        "understanding": 0.4 + 0.5 * habit.resolves,
        "resolution": habit.resolves,
        "tone": 0.3 + 0.35 * habit.thanks + 0.35 * habit.personal,
        "compliance": 1 - 4 * habit.policy_slips,
    }
    version = scenario.scorecard.current_version()
    ratings = {}
    for criterion in Criterion.objects.filter(section__version=version):
        value = quality.get(criterion.key, 0.6) + rng.gauss(0, 0.22)
        ratings[criterion.code] = RatingInput(
            option_position=0 if value > 0.85 else 1 if value > 0.45 else 2
        )
    assignment = actions.assign(scenario=scenario, shopper=shopper, due=timezone.localdate(),
                                by=by)  # fmt: skip
    actions.record_shop(
        assignment=assignment, by=shopper, happened_at=happened, agent=agent,
        notes=rng.choice(NOTES), ratings=ratings,
    )  # fmt: skip
    Assignment.objects.filter(pk=assignment.pk).update(
        due=happened.date() + timedelta(days=2), done_at=happened + timedelta(hours=1)
    )


NOTES = (
    "Answered after 2 minutes. The agent asked for my order number and e-mail, explained the "
    "policy and gave a date: 5 working days.",
    "Waited 6 minutes. The agent was polite but did not check who I was before looking at the "
    "account. The answer was right.",
    "Quick answer, friendly. Had to ask twice when the refund would arrive.",
    "The agent restated my request, checked my identity and offered the options clearly.",
)
