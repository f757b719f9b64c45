"""Contact forecast backtest: fit the hourly model on all but the last full week, forecast that
week, and compare (daily MAPE, hourly WAPE, share of hours inside the 95% interval).

- demo: the demo generator's conversations over 90 days, at its size (2,400) and larger;
- Twitter customer care (../shared/data): the first message of each of the 525 real
  conversations, March 2020 (the month that holds most of them), four weeks to fit.

    .venv/bin/python bench/forecast.py
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportqa.settings")
import django  # noqa: E402

django.setup()
from supportqa.core.forecast import WEEK, backtest, hourly_counts  # noqa: E402
from supportqa.demo.generate import conversation_records  # noqa: E402

TWITTER = Path(__file__).resolve().parents[2] / "shared" / "data" / "twitter_customer_care"


def monday_before(moment: datetime) -> datetime:
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def measure(name: str, stamps: list[datetime], end: datetime, weeks: int) -> None:
    """Backtest on the `weeks` full weeks before `end` (a Monday), the last one held out."""
    start = end - timedelta(weeks=weeks)
    counts = hourly_counts(stamps, start, weeks * WEEK)
    began = time.perf_counter()
    result = backtest(counts, start)
    seconds = time.perf_counter() - began
    held_out = sum(counts[-WEEK:])
    mape = "—" if result.daily_mape is None else f"{result.daily_mape:.1f}%"
    wape = "—" if result.hourly_wape is None else f"{result.hourly_wape:.1f}%"
    print(
        f"{name:52}{weeks - 1:>6}{held_out:>9}{mape:>11}{wape:>11}"
        f"{100 * result.coverage:>9.1f}%{seconds:>8.2f}"
    )


def main() -> None:
    print("\nHourly contact forecast: fitted on the weeks before, tested on the last full week")
    print(f"{'data':52}{'weeks':>6}{'contacts':>9}{'day MAPE':>11}{'hour WAPE':>11}"
          f"{'in 95%':>10}{'fit s':>8}")  # fmt: skip
    end = monday_before(datetime(2026, 11, 30, tzinfo=UTC))
    for count in (2_400, 24_000, 120_000):
        records, _ = conversation_records(random.Random(7), count, end - timedelta(days=91), end)
        stamps = [datetime.fromisoformat(r["created_at"]) for r in records]
        measure(f"demo generator, {count:,} conversations in 13 weeks", stamps, end, 12)
    with (TWITTER / "dev.json").open() as handle:
        dialogs = json.load(handle)
    stamps = [
        datetime.fromisoformat(d["dialogContent"][0]["datetime"].replace("Z", "+00:00"))
        for d in dialogs
    ]
    measure("Twitter customer care, March 2020", stamps, datetime(2020, 3, 30, tzinfo=UTC), 5)
    print("(MAPE over days with contacts; WAPE = Σ|error| / Σ contacts over the 168 hours)")


if __name__ == "__main__":
    main()
