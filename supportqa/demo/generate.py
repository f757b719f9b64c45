"""Deterministic demo organisation: teams, agents with distinct habits, 90 days of conversations,
surveys that depend on how each conversation went, and human reviews from reviewers who differ.
One real change is planted: team Charlie is short-staffed for the last three weeks, and its
replies take three times as long (its control chart of first response time shows it).

Conversations go through the real importer (native JSONL), reviews through `save_review`.
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from supportqa.accounts.models import AgentSkill, Membership, Role, Team, User
from supportqa.assignments.actions import run_cycle
from supportqa.assignments.models import AssignmentCycle, CycleReviewer
from supportqa.calibration.actions import create_session, reveal_session
from supportqa.calibration.models import CalibrationSession
from supportqa.conversations.models import Category, Conversation
from supportqa.integrations.importer import import_conversations, import_surveys
from supportqa.notifications.actions import muted
from supportqa.notifications.models import Kind
from supportqa.reviews.actions import RatingInput, save_review, tell_reviewed
from supportqa.reviews.models import Review, Source
from supportqa.scorecards.models import Criterion, Scorecard
from supportqa.surveys.models import SurveySent

DEMO_PASSWORD = "supportqa-demo"
SOURCE = "demo"


@dataclass
class Habit:
    """How an agent works: each value is a probability or a multiplier."""

    uses_name: float = 0.6
    thanks: float = 0.7
    reply_minutes: float = 2.0  # typical chat reply delay
    policy_slips: float = 0.05
    clarity: float = 0.8
    resolves: float = 0.8
    follow_up: float = 0.6
    personal: float = 0.5
    note: str = ""


AGENTS: list[tuple[str, str, str, Habit]] = [
    ("ava", "Ava Martin", "Alpha", Habit(0.95, 0.95, 1.0, 0.0, 0.97, 0.95, 0.9, 0.9, "excellent")),
    (
        "ben",
        "Ben Okafor",
        "Alpha",
        Habit(0.0, 0.6, 2.0, 0.03, 0.8, 0.8, 0.5, 0.3, "never uses names"),
    ),
    (
        "chloe",
        "Chloe Dubois",
        "Alpha",
        Habit(0.6, 0.7, 9.0, 0.03, 0.8, 0.75, 0.6, 0.5, "slow responder"),
    ),
    (
        "dev",
        "Dev Patel",
        "Alpha",
        Habit(0.6, 0.6, 2.0, 0.45, 0.7, 0.7, 0.5, 0.4, "careless with policy"),
    ),
    ("emma", "Emma Rossi", "Alpha", Habit(0.7, 0.8, 1.5, 0.02, 0.85, 0.85, 0.7, 0.6)),
    (
        "farid",
        "Farid Haddad",
        "Bravo",
        Habit(0.7, 0.8, 2.0, 0.02, 0.55, 0.7, 0.6, 0.5, "unclear writer"),
    ),
    ("grace", "Grace Kim", "Bravo", Habit(0.8, 0.9, 1.2, 0.01, 0.9, 0.9, 0.85, 0.8, "strong")),
    (
        "hugo",
        "Hugo Laurent",
        "Bravo",
        Habit(0.5, 0.5, 3.0, 0.05, 0.75, 0.55, 0.3, 0.3, "leaves issues open"),
    ),
    ("isla", "Isla Brown", "Bravo", Habit(0.65, 0.75, 2.0, 0.04, 0.8, 0.8, 0.6, 0.5)),
    ("jonas", "Jonas Berg", "Bravo", Habit(0.6, 0.7, 2.5, 0.05, 0.75, 0.75, 0.55, 0.45)),
    (
        "kemi",
        "Kemi Adeyemi",
        "Charlie",
        Habit(0.85, 0.9, 1.5, 0.02, 0.85, 0.85, 0.8, 0.85, "very personal"),
    ),
    (
        "liam",
        "Liam Walsh",
        "Charlie",
        Habit(0.4, 0.3, 2.0, 0.08, 0.7, 0.7, 0.3, 0.1, "scripted replies"),
    ),
    ("mia", "Mia Novak", "Charlie", Habit(0.6, 0.7, 2.0, 0.04, 0.8, 0.8, 0.6, 0.5)),
    (
        "noah",
        "Noah Silva",
        "Charlie",
        Habit(0.5, 0.6, 4.0, 0.1, 0.65, 0.65, 0.4, 0.4, "new starter"),
    ),
    ("olga", "Olga Ivanova", "Charlie", Habit(0.7, 0.8, 1.8, 0.03, 0.85, 0.8, 0.7, 0.6)),
]
TEAMS = {
    "Alpha": ("chat", "chat", "chat", "email"),
    "Bravo": ("email", "phone", "email", "chat"),
    "Charlie": ("social", "chat", "social", "email"),
}
STAFF = [
    ("admin", "Ada Admin", Role.ADMIN, []),
    ("manager", "Max Manager", Role.MANAGER, []),
    ("qa.lenient", "Riley Reviewer (lenient)", Role.QA, []),
    ("qa.strict", "Sam Reviewer (strict)", Role.QA, []),
    ("lead.alpha", "Lena Lead", Role.LEAD, ["Alpha"]),
    ("lead.bravo", "Bruno Lead", Role.LEAD, ["Bravo"]),
    ("lead.charlie", "Cara Lead", Role.LEAD, ["Charlie"]),
    ("peer", "Pat Peer", Role.PEER, []),
    ("shopper", "Shay Shopper", Role.SHOPPER, []),
]
REVIEWER_BIAS = {
    "qa.lenient": 0.18,
    "qa.strict": -0.2,
    "lead.alpha": 0.0,
    "lead.bravo": 0.05,
    "lead.charlie": -0.05,
}
FIRST_NAMES = [
    "Alex",
    "Sam",
    "Jordan",
    "Taylor",
    "Morgan",
    "Casey",
    "Jamie",
    "Robin",
    "Charlie",
    "Drew",
    "Priya",
    "Wei",
    "Lucas",
    "Sofia",
    "Omar",
    "Hannah",
    "Mateo",
    "Yuki",
]
TOPICS = {
    "Technical issue": [
        (
            "the app crashes when I open my invoices",
            "clear the app cache and update to the latest version",
        ),
        ("I can't log in since yesterday", "reset your session from the security page"),
        ("the export button does nothing", "switch the export format to CSV, which avoids the bug"),
    ],
    "Billing inquiry": [
        ("I was charged twice this month", "refund the duplicate charge of the 3rd"),
        (
            "my invoice shows the wrong VAT number",
            "reissue the invoice with the corrected VAT number",
        ),
        ("I want to change my payment card", "update the card under Billing > Payment methods"),
    ],
    "Product information": [
        (
            "does the Pro plan include API access",
            "confirm that Pro includes API access with 10k calls a day",
        ),
        ("can I share a workspace with a contractor", "add them as a guest with limited access"),
        ("is there a yearly discount", "switch you to yearly billing with two months free"),
    ],
    "Complaint": [
        (
            "your delivery was late again and nobody told me",
            "credit your account and flag the courier",
        ),
        ("the support I got last week was rude", "pass this to the team lead and make it right"),
        ("the product broke after two weeks", "send a replacement with express shipping"),
    ],
    "General query": [
        ("what are your opening hours", "explain we are open 8:00–20:00 on weekdays"),
        ("how do I close my account", "walk you through closing the account"),
        ("where can I find my order history", "point you to Orders in your profile"),
    ],
}


@dataclass
class DemoStats:
    conversations: int = 0
    messages: int = 0
    surveys: int = 0
    reviews: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)


def _people() -> tuple[dict[str, User], dict[str, Team]]:
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in TEAMS}
    users: dict[str, User] = {}
    categories = list(Category.objects.all())
    for username, name, role, led in STAFF:
        users[username] = _user(username, name, role)
        for team in led:
            Membership.objects.update_or_create(
                user=users[username], team=teams[team], defaults={"is_lead": True}
            )
    for username, name, team, _ in AGENTS:
        users[username] = _user(username, name, Role.AGENT)
        Membership.objects.get_or_create(user=users[username], team=teams[team])
        for index, category in enumerate(categories):
            AgentSkill.objects.update_or_create(
                agent=users[username],
                category=category,
                defaults={"level": 1 + (len(username) + index) % 5},
            )
    Membership.objects.get_or_create(user=users["peer"], team=teams["Alpha"])
    return users, teams


def _user(username: str, name: str, role: str) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "display_name": name,
            "role": role,
            "email": f"{username}@demo.supportqa.invalid",
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


@dataclass
class _Thread:
    """A conversation's messages as they are written, each a random delay after the last."""

    rng: random.Random
    username: str
    agent_name: str
    customer: str
    at: datetime
    messages: list[dict[str, Any]] = field(default_factory=list)

    def say(self, kind: str, text: str, delay_minutes: float) -> None:
        self.at += timedelta(minutes=max(0.1, self.rng.expovariate(1 / delay_minutes)))
        self.messages.append(
            {
                "author_kind": kind,
                "author": self.username if kind == "agent" else "",
                "author_name": self.customer if kind == "customer" else self.agent_name,
                "sent_at": self.at.isoformat(),
                "text": text,
            }
        )


SHORT_STAFFED = "Charlie"  # the planted real change: see the module's docstring
PACE = {"chat": 1.0, "social": 20.0, "phone": 0.5, "email": 120.0}  # minutes per reply, × habit


def _conversation(
    rng: random.Random,
    index: int,
    agent: tuple[str, str, str, Habit],
    start: datetime,
    end: datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    username, agent_name, team, habit = agent
    channel = rng.choice(TEAMS[team])
    category = rng.choice(list(TOPICS))
    problem, fix = rng.choice(TOPICS[category])
    customer = rng.choice(FIRST_NAMES)
    created = _created_at(rng, channel, start, end)
    pace = PACE[channel]
    turns = rng.randint(3, 8)  # 7 to 18 messages in all
    resolved = rng.random() < habit.resolves
    slipped = rng.random() < habit.policy_slips
    clear = rng.random() < habit.clarity
    thread = _Thread(rng, username, agent_name, customer, created)
    name = f" {customer}" if rng.random() < habit.uses_name else ""
    thread.messages.append(
        {
            "author_kind": "customer",
            "author_name": customer,
            "sent_at": created.isoformat(),
            "text": f"Hi, {problem}.",
        }
    )
    reply = _reply_minutes(habit, pace, team, created, end)
    thread.say(
        "agent",
        f"Hello{name}, thanks for reaching out. I'm {agent_name.split()[0]}."
        if rng.random() < habit.thanks
        else f"Hello{name}. Looking into it.",
        reply,
    )
    for turn in range(turns - 1):
        if turn == 0:
            _first_answer(thread, slipped, pace, reply)
        elif turn == turns - 2:
            _solution(thread, fix, clear, habit, reply)
        else:
            _waiting(thread, pace, reply)
    _closing(thread, resolved, name, habit, pace, reply)
    reopened = (
        int(rng.random() < 0.03 + 0.3 * (1 - habit.resolves))
        if resolved
        else rng.choice([0, 1, 1, 2])
    )
    record = {
        "source": SOURCE,
        "external_id": f"demo-{index:05d}",
        "channel": channel,
        "subject": problem[0].upper() + problem[1:],
        "agent": username,
        "team": team,
        "category": category,
        "status": "resolved" if resolved else "open",
        "urgency": rng.choice(["low", "medium", "medium", "high"]),
        "complexity": rng.choice(["low", "medium", "high"]),
        "created_at": created.isoformat(),
        "resolved_at": thread.at.isoformat() if resolved else None,
        "reopen_count": reopened,
        "tags": [category.split()[0].lower()],
        # One name per customer id (AutoQA checks the agent uses the customer's name).
        "customer": _customer(customer, rng.randint(1, 60)),
        "messages": thread.messages,
    }
    facts = {
        "resolved": resolved,
        "slipped": slipped,
        "clear": clear,
        "habit": habit,
        "name": bool(name),
        "created": created,
        "end": thread.at,
    }
    return record, facts


def _customer(first_name: str, number: int) -> dict[str, str]:
    """A demo customer; seven in ten left an e-mail address (surveys go to it; the others'
    survey links are for the help desk to send)."""
    external_id = f"cust-{first_name.lower()}-{number:02d}"
    email = f"{external_id}@customers.demo.invalid" if number % 10 < 7 else ""
    return {"external_id": external_id, "name": first_name, "email": email}


def _reply_minutes(habit: Habit, pace: float, team: str, created: datetime, end: datetime) -> float:
    """The agent's typical reply delay on this channel; three times as long on the
    short-staffed team in the last three weeks (the demo's planted real change)."""
    reply = habit.reply_minutes * pace
    if team == SHORT_STAFFED and created > end - timedelta(days=21):
        reply *= 3
    return reply


def _created_at(rng: random.Random, channel: str, start: datetime, end: datetime) -> datetime:
    created = start + (end - start) * rng.random()
    if channel != "email":  # office hours for live channels
        created = created.replace(hour=rng.randint(8, 19))
        if created > end - timedelta(hours=3):
            created -= timedelta(days=1)
    return created


def _first_answer(thread: _Thread, slipped: bool, pace: float, reply: float) -> None:
    """The customer adds a detail; the agent verifies the account, or (a policy slip) does not."""
    thread.say("customer", "Thanks. It started after the last update, if that helps.", pace)
    if slipped:
        thread.say("agent", "Sure, I changed the account email as you asked.", reply)
    else:
        thread.say(
            "agent",
            "To keep your account safe, can you confirm the last four digits of the card on file?",
            reply,
        )
        thread.say("customer", "Yes, it ends in 4242.", pace)


def _solution(thread: _Thread, fix: str, clear: bool, habit: Habit, reply: float) -> None:
    text = (
        f"I've gone ahead and will {fix}. It should take effect within the hour."
        if clear
        else f"ok so basically we will {fix} maybe, pls check later thx"
    )
    if thread.rng.random() < habit.personal:
        text += " Since you mentioned the last update, I also noted it on your account."
    thread.say("agent", text, reply)


def _closing(
    thread: _Thread, resolved: bool, name: str, habit: Habit, pace: float, reply: float
) -> None:
    thread.say(
        "customer",
        "That worked, thank you!" if resolved else "It still doesn't work.",
        pace * 3,
    )
    if thread.rng.random() < habit.follow_up:
        thread.say("agent", f"Glad to help{name}! Is there anything else I can do for you?", reply)
    else:
        thread.say("agent", "Closing this conversation now.", reply)


def _waiting(thread: _Thread, pace: float, reply: float) -> None:
    nudges = [
        "Any news?",
        "I'm still waiting.",
        "Could you check again?",
        "Thanks, and what about my other question?",
    ]
    thread.say("customer", thread.rng.choice(nudges), pace)
    holds = [
        "Still checking with the team.",
        "One moment please.",
        "I'm on it, thank you for your patience.",
    ]
    thread.say("agent", thread.rng.choice(holds), reply)


def _survey_row(rng: random.Random, record: dict[str, Any], facts: dict[str, Any]) -> list[Any]:
    habit: Habit = facts["habit"]
    mood = (1.6 if facts["resolved"] else -1.4) + (0.5 if facts["clear"] else -0.6)
    mood += 0.6 * (habit.personal - 0.5) - 0.12 * max(0.0, habit.reply_minutes - 2)
    csat = max(1, min(5, round(3.4 + mood + rng.gauss(0, 0.8))))
    nps = max(0, min(10, round(6.5 + 2 * mood + rng.gauss(0, 1.5))))
    ces = max(1, min(7, round(4.8 + mood + rng.gauss(0, 1))))
    answered = facts["end"] + timedelta(hours=rng.uniform(0.5, 30))
    return [
        f"survey-{record['external_id']}",
        record["external_id"],
        SOURCE,
        csat,
        5,
        nps,
        ces,
        "" if csat >= 4 else "Not happy with how this went.",
        answered.isoformat(),
        (facts["end"] + timedelta(minutes=10)).isoformat(),
    ]


def _rating_level(rng: random.Random, quality: float, bias: float) -> int:
    """0 = Exceeds, 1 = Meets, 2 = Below, from a 0–1 quality plus reviewer bias and noise."""
    value = quality + bias + rng.gauss(0, 0.12)
    return 0 if value > 0.8 else 1 if value > 0.45 else 2


def _quality(criterion_key: str, facts: dict[str, Any]) -> float:
    habit: Habit = facts["habit"]
    return {
        "response-time": max(0.0, 1 - habit.reply_minutes / 8),
        "clarity": 0.9 if facts["clear"] else 0.3,
        "tone": 0.3 + 0.35 * habit.thanks + (0.35 if facts["name"] else 0.0),
        "understanding": 0.4 + 0.5 * habit.resolves,
        "resolution": 0.85 if facts["resolved"] else 0.3,
        "personalization": habit.personal,
        "follow-up": habit.follow_up,
        "compliance": 0.1 if facts["slipped"] else 0.95,
    }.get(criterion_key, 0.6)


def conversation_records(
    rng: random.Random, count: int, start: datetime, end: datetime
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The demo's conversations in the native import format, and what each one's agent did
    (for the surveys and reviews that follow). Needs no database: bench/forecast.py uses it."""
    records, all_facts = [], {}
    for index in range(count):
        record, facts = _conversation(rng, index, AGENTS[index % len(AGENTS)], start, end)
        records.append(record)
        all_facts[record["external_id"]] = facts
    return records, all_facts


def build(
    *,
    seed: int = 7,
    conversations: int = 2400,
    reviews: int = 360,
    days: int = 90,
    progress: bool = False,
) -> DemoStats:
    rng = random.Random(seed)
    stats = DemoStats()
    with transaction.atomic():
        users, _ = _people()
    end = timezone.now().replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    records, all_facts = conversation_records(rng, conversations, end - timedelta(days=days), end)
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    report = import_conversations(data, kind="native", file_name="demo.jsonl", progress=progress)
    stats.conversations = report.created + report.updated + report.unchanged
    stats.messages = sum(len(r["messages"]) for r in records)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "response_id",
            "conversation_id",
            "conversation_source",
            "csat",
            "csat_scale",
            "nps",
            "ces",
            "comment",
            "answered_at",
            "sent_at",
        ]
    )
    surveyed = [r for r in records if rng.random() < 0.25]
    for record in surveyed:
        writer.writerow(_survey_row(rng, record, all_facts[record["external_id"]]))
    survey_report = import_surveys(
        buffer.getvalue().encode(), source=SOURCE, file_name="demo-surveys.csv"
    )
    stats.surveys = survey_report.created + survey_report.updated + survey_report.unchanged
    # Each later phase has its own generator so a re-run picks the same conversations.
    _unanswered_surveys(random.Random(seed + 1))
    with muted():  # weeks of history: nobody is told of it, except ava of her latest reviews
        stats.reviews = _reviews(random.Random(seed + 2), users, all_facts, reviews, progress)
    _tell_latest_reviews(users["ava"])
    _calibration(random.Random(seed + 3), users, all_facts)
    _assignment_cycle(users)
    stats.logins = [(u, r) for u, _, r, _ in STAFF] + [("ava", Role.AGENT)]
    return stats


def _unanswered_surveys(rng: random.Random) -> None:
    """Surveys also go to customers who never answer (the response rate's denominator): on
    resolution, or a day after an unresolved conversation went quiet."""
    pending = Conversation.objects.filter(source=SOURCE, surveys_sent__isnull=True).order_by(
        "external_id"
    )
    SurveySent.objects.bulk_create(
        SurveySent(
            conversation=c,
            agent_id=c.agent_id,
            team_id=c.team_id,
            sent_at=c.resolved_at or c.created_at + timedelta(days=1),
        )
        for c in pending
        if rng.random() < 0.5
    )


def _reviews(
    rng: random.Random,
    users: dict[str, User],
    facts: dict[str, dict[str, Any]],
    count: int,
    progress: bool,
) -> int:
    version = Scorecard.objects.get(slug="chat-quality").current_version()
    assert version is not None
    criteria = list(
        Criterion.objects.filter(section__version=version).prefetch_related(
            "options", "root_causes"
        )
    )
    conversations = list(
        Conversation.objects.filter(source=SOURCE).select_related("team").order_by("external_id")
    )
    picked = rng.sample(conversations, min(count, len(conversations)))
    reviewers = ["qa.lenient", "qa.strict", "lead.alpha", "lead.bravo", "lead.charlie"]
    done = 0
    for conversation in tqdm(picked, disable=not progress, desc="demo reviews"):
        local = random.Random(rng.random())  # draws below never shift later conversations
        fact = facts[conversation.external_id]
        for name in _reviewers_of(local, conversation, reviewers):
            if Review.objects.filter(conversation=conversation, reviewer=users[name]).exists():
                continue
            levels = {
                c: _rating_level(local, _quality(c.key, fact), REVIEWER_BIAS.get(name, 0.0))
                for c in criteria
            }
            ratings = {
                c.code: RatingInput(
                    option_position=level,
                    root_cause_positions=_root_cause(c, level, conversation.external_id),
                )
                for c, level in levels.items()
            }
            review = save_review(
                conversation=conversation,
                reviewer=users[name],
                source=Source.QA if name.startswith("qa") else Source.MANAGER,
                version=version,
                ratings=ratings,
                submit=True,
                overall_comment="",
            )
            submitted = fact["end"] + timedelta(days=local.uniform(0.5, 4))
            Review.objects.filter(pk=review.pk).update(submitted_at=min(submitted, timezone.now()))
            done += 1
    return done


# A reviewer who rates a criterion "Below" tags why; the first cause of each criterion is the
# usual one. Drawn from a generator of its own, so the ratings' draws stay as they were.
CAUSE_WEIGHTS = (0.6, 0.3, 0.1)


def _tell_latest_reviews(agent: User, count: int = 3) -> None:
    """The demo agent finds her latest reviews in her notifications (once)."""
    if agent.notifications.filter(kind=Kind.REVIEW_RECEIVED).exists():
        return
    latest = (
        Review.objects.filter(reviewee=agent)
        .counting_toward_iqs()
        .select_related("reviewer", "conversation")[:count]
    )
    with transaction.atomic():
        for review in reversed(latest):
            tell_reviewed(review)


def _root_cause(criterion: Criterion, level: int, seed: str) -> list[int]:
    causes = list(criterion.root_causes.all())
    if level != len(criterion.options.all()) - 1 or not causes:
        return []
    draw = random.Random(f"{seed}:{criterion.key}")
    return draw.choices(range(len(causes)), weights=CAUSE_WEIGHTS[: len(causes)])


def _reviewers_of(
    local: random.Random, conversation: Conversation, reviewers: list[str]
) -> list[str]:
    """Mostly a QA specialist, else the team's lead; sometimes a second reviewer too."""
    lead = f"lead.{conversation.team.name.lower()}" if conversation.team else "qa.strict"
    first = local.choice(reviewers[:2]) if local.random() < 0.7 else lead
    names = [first]
    if local.random() < 0.3:  # a second, overlapping review: what reveals leniency
        names.append(local.choice([n for n in (*reviewers[:2], lead) if n != first]))
    return names


def _calibration(
    rng: random.Random, users: dict[str, User], facts: dict[str, dict[str, Any]]
) -> None:
    """One revealed calibration session on five Alpha conversations (created once)."""
    if CalibrationSession.objects.filter(title=CALIBRATION_TITLE).exists():
        return
    version = Scorecard.objects.get(slug="chat-quality").current_version()
    assert version is not None
    conversations = list(
        Conversation.objects.filter(source=SOURCE, team__name="Alpha").order_by("external_id")[:5]
    )
    names = ["qa.lenient", "qa.strict", "lead.alpha"]
    session = create_session(
        title=CALIBRATION_TITLE,
        version=version,
        organiser=users["manager"],
        conversations=conversations,
        participants=[users[n] for n in names],
        baseline=users["lead.alpha"],
    )
    criteria = list(
        Criterion.objects.filter(section__version=version).prefetch_related(
            "options", "root_causes"
        )
    )
    for conversation in conversations:
        for name in names:
            ratings = {
                c.code: RatingInput(
                    option_position=_rating_level(
                        rng,
                        _quality(c.key, facts[conversation.external_id]),
                        REVIEWER_BIAS.get(name, 0.0),
                    )
                )
                for c in criteria
            }
            save_review(
                conversation=conversation,
                reviewer=users[name],
                source=Source.CALIBRATION,
                version=version,
                ratings=ratings,
                submit=True,
                calibration_session=session,
            )
    reveal_session(session=session, by=users["manager"])


def _assignment_cycle(users: dict[str, User]) -> None:
    """A weekly targeted cycle for team Bravo, run once so the QA reviewers have a queue."""
    if AssignmentCycle.objects.filter(name=CYCLE_NAME).exists():
        return
    cycle = AssignmentCycle.objects.create(
        name=CYCLE_NAME,
        team=Team.objects.get(name="Bravo"),
        design="targeted",
        targets=["low_csat", "reopened"],
        sample_size=10,
        every_days=7,
        created_by=users["lead.bravo"],
        next_run_at=timezone.now(),
    )
    for name, quota in (("qa.lenient", 12), ("qa.strict", 12)):
        CycleReviewer.objects.create(cycle=cycle, reviewer=users[name], quota=quota)
    run_cycle(cycle=cycle, now=timezone.now())


CALIBRATION_TITLE = "Demo calibration: Alpha chats"
CYCLE_NAME = "Bravo weekly spotlight"
