"""Scale benchmark (issue #11 §2): every dashboard at contact-centre size, beside raw SQL.

    .venv/bin/python bench/scale.py [--conversations 1000000] [--repeat 20] [--reuse]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/supportqa_scale .venv/bin/python bench/scale.py

Builds the data set once (kept between runs with --reuse):
  * the demo (`supportqa demo`, 2,400 conversations through the real importer, surveys, human
    reviews, calibration), then AutoQA on all of it with `supportqa autoqa run --workers 2`,
    timed: the AutoQA rate end to end (score and store);
  * copies of the demo's conversations until there are N, each copy a few seconds later and
    handled by one of 60 more agents in 6 more teams, with their messages (~13 each), surveys
    (~25%), AutoQA reviews, findings and jobs; human reviews are copied until there are about
    20,000 (2% of 1M conversations, as a QA team of a few people reaches in 90 days).
Then AutoQA end to end again on the newest --autoqa conversations (default 20,000), beside the
detectors and ratings alone on one core in the same run. Then (on PostgreSQL after a VACUUM,
as autovacuum leaves a database in service), as the manager (who sees everything), times every
dashboard page (warm, median and p95 of --repeat requests, queries per request) beside a
raw-SQL statement computing the page's main aggregate in the same run, and the conversation
export (first byte, total, peak Python memory).
Targets: page p95 < 100 ms and <= 3x its raw-SQL baseline; AutoQA end to end >= 1,000/s.
The SQLite database lives under --data-dir; on PostgreSQL the database in DATABASE_URL is
created when missing and emptied when it holds another size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from timing import QueryCounter, create_postgres_database, time_call, time_pages

ROOT = Path(__file__).resolve().parent.parent
BENCH_TEAMS, AGENTS_PER_TEAM = 6, 10
HUMAN_REVIEWS = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20, help="requests per page timing")
    parser.add_argument("--reuse", action="store_true", help="keep a database of this size")
    parser.add_argument(
        "--autoqa",
        type=int,
        default=20_000,
        help="conversations AutoQA scores again, timed (0: skip; default 20,000)",
    )
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "supportqa-scale"))
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = f"sqlite:///{data_dir / f'scale-{args.conversations}.sqlite3'}"
        if not args.reuse:
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        create_postgres_database(url, fresh=not args.reuse)
    os.environ.update(
        DATABASE_URL=url,
        SUPPORTQA_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="supportqa.settings",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from supportqa.reports import rollups

    call_command("migrate", verbosity=0)
    built = Build.load()
    if built is None or built.conversations != args.conversations:
        built = build(args.conversations)
    started = time.perf_counter()
    days = rollups.current()
    print(f"rollups: {days} marked days recomputed in {time.perf_counter() - started:.1f} s")
    vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(
        f"\n{built.conversations:,} conversations, {built.messages:,} messages, "
        f"{built.surveys:,} survey answers, {built.human_reviews:,} human reviews, "
        f"{built.autoqa_reviews:,} AutoQA reviews ({vendor})"
    )
    print(
        f"AutoQA on the demo while building, 2 workers: {built.autoqa_scored:,} conversations "
        f"in {built.autoqa_seconds:.1f} s = {built.autoqa_scored / built.autoqa_seconds:,.0f}/s"
    )
    if args.autoqa:
        autoqa_rates(min(args.autoqa, built.conversations))
    settle()
    pages(args.repeat)


def settle() -> None:
    """On PostgreSQL, VACUUM (ANALYZE) before the pages are timed, as autovacuum leaves a
    database in service: without it the rows just copied (or rescored) are not marked
    all-visible yet, and each index-only read of them also visits the table (the team page's
    median read took 150 ms instead of 60 at 1M)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"vacuumed in {time.perf_counter() - started:.0f} s", flush=True)


# --- building the data set ---------------------------------------------------------------------


class Build:
    """What was built, stored in the database itself (a table of one row) so --reuse knows."""

    TABLE = "bench_scale_build"

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    @classmethod
    def load(cls) -> Build | None:
        from django.db import connection

        if cls.TABLE not in connection.introspection.table_names():
            return None
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT facts FROM {cls.TABLE}")
            row = cursor.fetchone()
        return cls(**json.loads(row[0])) if row else None

    def save(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {self.TABLE} (facts TEXT)")
            cursor.execute(f"DELETE FROM {self.TABLE}")
            cursor.execute(f"INSERT INTO {self.TABLE} VALUES (%s)", [json.dumps(self.__dict__)])


def build(target: int) -> Build:
    from django.db import connection

    from supportqa.demo.generate import build as build_demo

    started = time.perf_counter()
    build_demo()
    print(f"demo built in {time.perf_counter() - started:.0f} s", flush=True)
    from supportqa.autoqa.models import Job

    scored, seconds, _ = run_autoqa(list(Job.objects.values_list("pk", flat=True)))
    copies = Copier()
    copies.add_until(target)
    from supportqa.reports import rollups

    # Statistics of the copied rows before the rebuild reads them: without them PostgreSQL
    # planned the agreement rollup's days (a subquery per rating) so that they had not been
    # read after 6.5 minutes; with them, 4 s.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    started = time.perf_counter()
    days = rollups.rebuild()
    print(f"rollups rebuilt: {days} days in {time.perf_counter() - started:.0f} s", flush=True)
    from supportqa.conversations.models import Conversation, Message
    from supportqa.reviews.models import Review, Source
    from supportqa.surveys.models import SurveyResponse

    reviews = Review.objects.filter(calibration_session__isnull=True)
    built = Build(
        conversations=Conversation.objects.count(),
        messages=Message.objects.count(),
        surveys=SurveyResponse.objects.count(),
        human_reviews=reviews.exclude(source=Source.AUTOQA).count(),
        autoqa_reviews=reviews.filter(source=Source.AUTOQA).count(),
        autoqa_scored=scored,
        autoqa_seconds=seconds,
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    built.save()
    print(f"analysed in {time.perf_counter() - started:.0f} s", flush=True)
    return built


def run_autoqa(ids: list[int]) -> tuple[int, float, float]:
    """AutoQA on every queued conversation (the jobs `ids`) with two worker processes, end
    to end: how many, the command's seconds, and the seconds until the last of these jobs was
    stored (the rest is the command recomputing the rollup days the scoring marked, and its
    exit). Only these jobs' times are read: the copies' jobs carry times up to minutes ahead
    (each copy k seconds later), which read as stored last."""
    from django.db.models import Max
    from django.utils import timezone

    from supportqa.autoqa.models import Job

    waiting = Job.objects.filter(status=Job.Status.PENDING).count()
    at, started = timezone.now(), time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "supportqa", "autoqa", "run", "--workers", "2", "--no-progress"],
        check=True,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    left = Job.objects.exclude(status=Job.Status.DONE).count()
    assert left == 0, f"{left} AutoQA jobs not done"
    stored = Job.objects.filter(pk__in=ids, updated_at__gte=at)
    last = stored.aggregate(last=Max("updated_at"))["last"]
    return waiting, seconds, (last - at).total_seconds()


def autoqa_rates(count: int) -> None:
    """AutoQA end to end (score and store, `supportqa autoqa run --workers 2`) on the
    `count` most recently created conversations (where new imports are: the days whose
    rollups the run recomputes are those a day's imports touch), twice: scored again (their
    AutoQA reviews rewritten, as after a settings change) and scored first (those reviews
    deleted before, as for new imports). Each is timed to the end of the command, and to the
    last job stored (without the recomputation of the marked rollup days that ends the
    command). Beside them, in the same run, the baseline: the same conversations' detectors
    and criterion ratings alone on one core, read from memory, nothing stored. Target: end to
    end at least 1,000 conversations/s."""
    from supportqa.autoqa.actions import Context, plan, with_transcripts
    from supportqa.autoqa.models import Job
    from supportqa.reviews.models import Review, Source

    newest = Job.objects.order_by("-conversation__created_at", "-conversation_id")
    ids = list(newest.values_list("pk", flat=True)[:count])
    conversation_ids = list(Job.objects.filter(pk__in=ids).values_list("conversation", flat=True))
    context = Context.load()
    sample = conversation_ids[:5000]
    conversations = with_transcripts(sample)
    started = time.perf_counter()
    for conversation, lines in conversations:
        plan(conversation, lines, context)
    alone = len(conversations) / (time.perf_counter() - started)
    Job.objects.filter(pk__in=ids).update(status=Job.Status.PENDING)
    again = run_autoqa(ids)  # their AutoQA reviews exist: rewritten in place
    Review.objects.filter(source=Source.AUTOQA, conversation_id__in=conversation_ids).delete()
    Job.objects.filter(pk__in=ids).update(status=Job.Status.PENDING)
    first = run_autoqa(ids)  # as for newly imported conversations
    header = f"{'AutoQA':48}{'conversations':>14}{'per second':>12}{'to last stored':>16}"
    baseline = "detectors and ratings alone, 1 core (baseline)"
    print(f"\n{header}\n{'-' * len(header)}")
    print(f"{baseline:48}{len(conversations):>14,}{alone:>12,.0f}")
    for label, (n, seconds, scoring) in (
        ("end to end, scored again, 2 workers", again),
        ("end to end, scored first, 2 workers", first),
    ):
        print(f"{label:48}{n:>14,}{n / seconds:>12,.0f}{n / scoring:>16,.0f}")


class Copier:
    """Copies of the demo's conversations and everything hanging off them, written with COPY
    on PostgreSQL and executemany on SQLite. Copy k has ids offset by k times the largest id of
    each table, times k seconds later, and its agents moved to the bench's own 60 agents."""

    def __init__(self) -> None:
        from django.db import connection

        from supportqa.accounts.models import Membership, Role, Team, User
        from supportqa.conversations.models import Conversation, Message
        from supportqa.reviews.models import Rating, Review, Source
        from supportqa.surveys.models import SurveyResponse, SurveySent

        self.connection = connection
        self.template = {
            "conversation": _rows(Conversation.objects.all()),
            "message": _rows(Message.objects.all(), skip_id=True),
            "sent": _rows(SurveySent.objects.all()),
            "response": _rows(SurveyResponse.objects.all(), skip_id=True),
        }
        reviews = Review.objects.filter(calibration_session__isnull=True)
        self.template["autoqa"] = _rows(reviews.filter(source=Source.AUTOQA))
        self.template["human"] = _rows(reviews.exclude(source=Source.AUTOQA))
        self.template["rating"] = _rows(Rating.objects.filter(review__in=reviews), skip_id=True)
        from supportqa.autoqa.models import Finding, Job

        self.template["finding"] = _rows(Finding.objects.filter(review__in=reviews), skip_id=True)
        self.template["job"] = _rows(Job.objects.all(), skip_id=True)
        self.models = {
            "conversation": Conversation,
            "message": Message,
            "sent": SurveySent,
            "response": SurveyResponse,
            "autoqa": Review,
            "human": Review,
            "rating": Rating,
            "finding": Finding,
            "job": Job,
        }
        demo_agents = sorted({r["agent_id"] for r in self.template["conversation"][1]})
        self.demo_agent_index = {pk: i for i, pk in enumerate(demo_agents)}
        self.agents, self.team_of = [], {}
        for t in range(BENCH_TEAMS):
            team = Team.objects.get_or_create(name=f"Bench team {t + 1}")[0]
            for a in range(AGENTS_PER_TEAM):
                number = t * AGENTS_PER_TEAM + a + 1
                agent = User.objects.get_or_create(
                    username=f"bench.agent{number:02d}",
                    defaults={"role": Role.AGENT, "display_name": f"Bench Agent {number:02d}"},
                )[0]
                Membership.objects.get_or_create(user=agent, team=team)
                self.agents.append(agent.pk)
                self.team_of[agent.pk] = team.pk
        self.stride = {
            name: max((r.get("id", 0) for r in rows[1]), default=0) + 1
            for name, rows in self.template.items()
        }
        self.stride["review"] = max(self.stride["autoqa"], self.stride["human"])
        self.human_per_copy = max(1, len(self.template["human"][1]))

    def agent(self, demo_agent: int | None, k: int) -> int | None:
        if demo_agent is None:
            return None
        index = self.demo_agent_index.get(demo_agent, 0)
        return self.agents[(k * len(self.demo_agent_index) + index) % len(self.agents)]

    def add_until(self, target: int) -> None:
        per_copy = len(self.template["conversation"][1])
        copies = max(0, -(-(target - per_copy) // per_copy))
        human_copies = max(0, HUMAN_REVIEWS // self.human_per_copy - 1)
        started = time.perf_counter()
        for k in range(1, copies + 1):
            last = target - per_copy * k if k == copies else None
            self.copy(k, human=k <= human_copies, keep=last)
            if k % 20 == 0 or k == copies:
                done = min(target, per_copy * (k + 1))
                rate = per_copy * k / (time.perf_counter() - started)
                print(f"  {done:,} conversations ({rate:,.0f}/s copied)", flush=True)
        self.reset_sequences()

    def reset_sequences(self) -> None:
        """Copies carry their own ids: PostgreSQL's id sequences are moved past them, so rows
        written later (AutoQA's new reviews, imports) get fresh ids."""
        from django.apps import apps
        from django.core.management.color import no_style

        statements = self.connection.ops.sequence_reset_sql(no_style(), apps.get_models())
        with self.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def copy(self, k: int, *, human: bool, keep: int | None) -> None:
        """Copy k of the template; `keep` limits the last copy to the conversations needed."""
        from django.db import transaction

        shift = timedelta(seconds=k)
        conversation_stride, review_stride = self.stride["conversation"], self.stride["review"]
        conversations = self.template["conversation"][1]
        if keep is not None:
            conversations = conversations[:keep]
        kept = {r["id"] for r in conversations}
        agent_of: dict[int, int | None] = {}
        team_of: dict[int, int | None] = {}

        def conversation(r: dict[str, Any]) -> dict[str, Any]:
            agent = self.agent(r["agent_id"], k)
            agent_of[r["id"]] = agent
            team_of[r["id"]] = self.team_of.get(agent) if agent else r["team_id"]
            return {
                **r,
                "id": r["id"] + k * conversation_stride,
                "code": f"b{k}x{r['id']}",
                "external_id": f"{r['external_id']}~{k}",
                "agent_id": agent,
                "team_id": team_of[r["id"]],
            }

        def of_conversation(r: dict[str, Any]) -> bool:
            return r["conversation_id"] in kept

        with self.connection.cursor() as cursor, transaction.atomic():
            if self.connection.vendor == "postgresql":
                # Copies of consistent rows: no foreign-key checks and no day marks (the
                # rollups are rebuilt once at the end); needs a superuser, as the bench's
                # PostgreSQL user is.
                cursor.execute("SET LOCAL session_replication_role = replica")
            self.write(cursor, "conversation", conversations, conversation, shift)
            self.write(
                cursor,
                "message",
                filter(of_conversation, self.template["message"][1]),
                lambda r: {
                    **r,
                    "conversation_id": r["conversation_id"] + k * conversation_stride,
                    "author_id": agent_of[r["conversation_id"]] if r["author_id"] else None,
                },
                shift,
            )

            def moved(r: dict[str, Any]) -> dict[str, Any]:
                agent = agent_of[r["conversation_id"]]
                return {
                    **r,
                    "conversation_id": r["conversation_id"] + k * conversation_stride,
                    "agent_id": agent,
                    "team_id": team_of[r["conversation_id"]],
                }

            sent_stride = self.stride["sent"]
            self.write(
                cursor,
                "sent",
                filter(of_conversation, self.template["sent"][1]),
                lambda r: {**moved(r), "id": r["id"] + k * sent_stride, "code": f"b{k}x{r['id']}"},
                shift,
            )
            self.write(
                cursor,
                "response",
                filter(of_conversation, self.template["response"][1]),
                lambda r: {
                    **moved(r),
                    "code": f"b{k}x{r['code'][:10]}",
                    "external_id": f"{r['external_id']}~{k}",
                    "survey_id": r["survey_id"] + k * sent_stride if r["survey_id"] else None,
                },
                shift,
            )
            copied: set[int] = set()
            for kind in ("autoqa", "human") if human else ("autoqa",):

                def review(r: dict[str, Any]) -> dict[str, Any]:
                    copied.add(r["id"])
                    return {
                        **r,
                        "id": r["id"] + k * review_stride,
                        "code": f"b{k}x{r['id']}",
                        "conversation_id": r["conversation_id"] + k * conversation_stride,
                        "reviewee_id": agent_of[r["conversation_id"]],
                        "team_id": team_of[r["conversation_id"]],
                    }

                self.write(
                    cursor,
                    kind,
                    (r for r in self.template[kind][1] if r["conversation_id"] in kept),
                    review,
                    shift,
                )
            for kind in ("rating", "finding"):
                self.write(
                    cursor,
                    kind,
                    (r for r in self.template[kind][1] if r["review_id"] in copied),
                    lambda r: {**r, "review_id": r["review_id"] + k * review_stride},
                    shift,
                )
            self.write(
                cursor,
                "job",
                filter(of_conversation, self.template["job"][1]),
                lambda r: {**r, "conversation_id": r["conversation_id"] + k * conversation_stride},
                shift,
            )

    def write(
        self,
        cursor: Any,
        kind: str,
        rows: Iterable[dict[str, Any]],
        change: Callable[[dict[str, Any]], dict[str, Any]],
        shift: timedelta,
    ) -> None:
        columns, _, datetimes, jsons = self.template[kind][0]
        table = self.models[kind]._meta.db_table
        ops = self.connection.ops

        def values(r: dict[str, Any]) -> tuple[Any, ...]:
            r = change(r)
            for column in datetimes:
                if r[column] is not None:
                    r[column] = ops.adapt_datetimefield_value(r[column] + shift)
            for column in jsons:
                r[column] = json.dumps(r[column])
            return tuple(r[c] for c in columns)

        names = ", ".join(columns)
        if self.connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(values(r))
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})", [values(r) for r in rows]
            )


def _rows(queryset: Any, skip_id: bool = False) -> tuple[tuple[Any, ...], list[dict[str, Any]]]:
    """A table's rows as dicts by column, and (columns, -, datetime columns, JSON columns)."""
    fields = [f for f in queryset.model._meta.concrete_fields if not (skip_id and f.primary_key)]
    columns = [f.column for f in fields]
    kinds = {f.column: f.get_internal_type() for f in fields}
    rows = list(queryset.order_by("pk").values(*[f.attname for f in fields]))
    datetimes = [c for c in columns if kinds[c] == "DateTimeField"]
    jsons = [c for c in columns if kinds[c] == "JSONField"]
    keep_id = [] if skip_id else ["id"]
    return (tuple(columns), keep_id, datetimes, jsons), rows


# --- timing -------------------------------------------------------------------------------------


def pages(repeat: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from supportqa.accounts.models import Team, User

    manager = User.objects.get(username="manager")
    client = Client()
    client.force_login(manager)
    team = Team.objects.get(name="Bench team 1")
    agent = User.objects.get(username="bench.agent01")
    now = timezone.now()
    week_ago = (now - timedelta(days=7)).date().isoformat()
    paths = {
        "/agents/": ("/agents/", _reviews_by("reviewee_id")),
        "/reviewers/": ("/reviewers/", _reviews_by("reviewer_id")),
        "/autoqa/": ("/autoqa/", _autoqa_by_agent()),
        "team page, 90 days": (
            f"/teams/{team.code}/",
            _conversation_totals("team_id", team.pk, 90),
        ),
        "team page, 7 days": (
            f"/teams/{team.code}/?days=7",
            _conversation_totals("team_id", team.pk, 7),
        ),
        "agent page, 90 days": (
            f"/agents/{agent.code}/",
            _conversation_totals("agent_id", agent.pk, 90),
        ),
        "conversation list, 7-day range": (
            f"/conversations/?since={week_ago}",
            _latest_conversations(7),
        ),
        "why we fail": ("/causes/", _reviews_by("reviewee_id")),
        "staffing": ("/staffing/", _hourly_volume()),
        "topics": ("/topics/", _latest_conversations(28)),
        "queue": ("/queue/", None),
        "calibration": ("/calibration/", None),
    }
    counter = QueryCounter()
    timed = time_pages(client, {name: path for name, (path, _) in paths.items()}, repeat, counter)
    print(f"\nPages as the manager: median and p95 of {repeat} warm requests (ms)")
    header = f"{'page':32}{'median':>9}{'p95':>9}{'queries':>9}{'raw SQL':>9}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    for name, (_, baseline) in paths.items():
        median, p95, queries = timed[name]
        if baseline is None:
            print(f"{name:32}{median:9.1f}{p95:9.1f}{queries:9d}{'-':>9}{'-':>8}")
            continue
        sql, params = baseline
        raw, _ = time_call(lambda sql=sql, params=params: _run(connection, sql, params), repeat)
        print(f"{name:32}{median:9.1f}{p95:9.1f}{queries:9d}{raw:9.1f}{median / raw:8.1f}")
    export(client)


def export(client: Any) -> None:
    """The conversation CSV export: first byte, total and peak Python memory, beside fetching
    the same rows with one raw statement."""
    from django.db import connection

    tracemalloc.start()
    started = time.perf_counter()
    response = client.get("/exports/conversations.csv")
    chunks: Iterator[Any] = iter(response.streaming_content)
    first = next(chunks)
    first_byte = time.perf_counter() - started
    size, lines = len(first), first.count(b"\n")
    for chunk in chunks:
        size += len(chunk)
        lines += chunk.count(b"\n")
    total = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM conversations_conversation")
        while cursor.fetchmany(10_000):
            pass
    raw = time.perf_counter() - started
    print(
        f"\nConversation CSV export: {lines - 1:,} rows, {size / 1e6:,.0f} MB; first byte "
        f"{first_byte * 1000:,.0f} ms, total {total:,.1f} s, peak Python memory "
        f"{peak / 1e6:,.0f} MB; raw SELECT of the table {raw:,.1f} s"
    )


def _run(connection: Any, sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()


def _since(days: int) -> Any:
    from django.utils import timezone

    return timezone.now() - timedelta(days=days)


def _reviews_by(column: str) -> tuple[str, list[Any]]:
    return (
        f"SELECT {column}, COUNT(*), AVG(final_score) FROM reviews_review "
        "WHERE status IN ('submitted', 'disputed', 'final') AND source IN ('manager', 'qa', "
        "'peer') AND calibration_session_id IS NULL AND submitted_at >= %s "
        f"GROUP BY {column}",
        [_since(90)],
    )


def _autoqa_by_agent() -> tuple[str, list[Any]]:
    return (
        "SELECT reviewee_id, COUNT(*), AVG(final_score) FROM reviews_review "
        "WHERE source = 'autoqa' AND submitted_at >= %s GROUP BY reviewee_id",
        [_since(90)],
    )


def _conversation_totals(column: str, pk: int, days: int) -> tuple[str, list[Any]]:
    return (
        "SELECT COUNT(*), COUNT(resolution_seconds), SUM(first_response_seconds), "
        "SUM(resolution_seconds), SUM(reopen_count) FROM conversations_conversation "
        f"WHERE {column} = %s AND created_at >= %s",
        [pk, _since(days)],
    )


def _latest_conversations(days: int) -> tuple[str, list[Any]]:
    return (
        "SELECT id, code, created_at FROM conversations_conversation WHERE created_at >= %s "
        "ORDER BY created_at DESC LIMIT 50",
        [_since(days)],
    )


def _hourly_volume() -> tuple[str, list[Any]]:
    return (
        "SELECT created_at FROM conversations_conversation WHERE created_at >= %s",
        [_since(56)],
    )


if __name__ == "__main__":
    main()
