"""The demo's social media (PRODUCT.md §3.9): eight weeks of posts mentioning @DemoSupport,
about fifteen a day, some from the demo's own customers (linked to their conversations), and
an outage two days ago that tripled the posts and complaints: the alert it raises is on the
social page and in QA's, managers' and admins' notifications."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from supportqa.conversations.models import Customer
from supportqa.social import trends
from supportqa.social.ingest import PostRecord, ingest
from supportqa.social.models import Post

BRAND = "@DemoSupport"
PRAISE = (
    "Thanks {brand}, sorted in five minutes!",
    "Great help from {brand} today, really friendly.",
    "{brand} fixed my billing problem quickly, thank you",
)
QUESTIONS = (
    "{brand} how do I change the e-mail address on my account?",
    "{brand} is there a yearly plan?",
    "{brand} where can I find my invoices?",
)
COMPLAINTS = (
    "{brand} still waiting for my refund, two weeks now",
    "{brand} charged twice this month. Fix this please",
    "{brand} no answer to my e-mail for days. Unacceptable",
    "{brand} the app keeps crashing when I open my orders",
)
OUTAGE = (
    "{brand} is the app down? Can't log in at all",
    "{brand} site not working for an hour now, useless",
    "{brand} locked out of my account, nothing loads. Worst timing",
)


def build_social(seed: int = 3) -> int:
    """The posts (once: not when posts exist). Returns how many were added."""
    if Post.objects.exists():
        return 0
    rng = random.Random(seed)
    customers = list(Customer.objects.order_by("external_id").values_list("external_id", flat=True))
    today = timezone.now().astimezone(UTC).date()
    records = []
    for back in range(trends.WINDOW_DAYS, 0, -1):
        day = today - timedelta(days=back)
        outage = back == 2
        for index in range(rng.randint(10, 20) + (35 if outage else 0)):
            pool = rng.choice(
                [OUTAGE] * 6 + [COMPLAINTS]
                if outage
                else [PRAISE, QUESTIONS, QUESTIONS] + [COMPLAINTS]
            )
            at = datetime.combine(day, time(7), UTC) + timedelta(minutes=rng.randint(0, 14 * 60))
            author = rng.choice(customers) if customers and rng.random() < 0.2 else (
                f"@user{rng.randint(1000, 9999)}"
            )  # fmt: skip
            records.append(
                PostRecord(
                    line=len(records) + 1,
                    source="demo",
                    external_id=f"{day}-{index}",
                    text=rng.choice(pool).format(brand=BRAND),
                    posted_at=at,
                    author=author,
                    brand=BRAND,
                )  # fmt: skip
            )
    result = ingest(records)
    trends.check_alerts(timezone.localdate())
    return result.created
