from __future__ import annotations

import os
import sys
from datetime import datetime
from datetime import time as clock
from pathlib import Path
from typing import Any, NamedTuple

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.db.models import Count
from django.utils import timezone
from tqdm import tqdm

from supportqa.autoqa.actions import enqueue_changed, publish_validations, work
from supportqa.autoqa.evaluation import (
    MEASURABLE,
    evaluate_files,
    report_lines,
    reviews_evaluation,
)
from supportqa.autoqa.learning import train_models
from supportqa.autoqa.models import Job
from supportqa.claims import worker_name
from supportqa.core.autoqa.evaluate import HIT
from supportqa.processes import exit_status, fork_child, parent_alive
from supportqa.reports import rollups


class Command(BaseCommand):
    help = (
        "AutoQA. `autoqa run` queues new or changed conversations and scores them (with "
        "--workers N, N processes claim jobs from the database); the background worker "
        "(`supportqa worker`) scores what imports queue. Interrupted runs resume: a dead worker's "
        "claims are taken over (after SUPPORTQA_AUTOQA_STALE_SECONDS, default 30; at once when "
        "the worker ran on this host). Helper workers die with the run that started them; a "
        "run that ends with conversations left unscored says how many and exits 1. "
        "`autoqa train` "
        "fits a model per criterion on the human reviews and uses it where, on held-out "
        "reviews, the low end of its κ interval is above the rules' κ. `autoqa evaluate` "
        "measures the detectors against a labelled set without writing anything."
    )

    # No system checks: they import every view and URL (0.6 s before the first batch); the
    # commands that serve (`serve`, `runserver`) and `migrate` run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="queue new or changed conversations and score them")
        run.add_argument("--since", help="only conversations created on or after YYYY-MM-DD")
        run.add_argument("--workers", type=int, default=1, help="processes (default 1)")
        run.add_argument("--no-progress", action="store_true")
        learn = sub.add_parser(
            "train",
            help="train criterion models on human reviews; keep those that beat the rules",
        )
        learn.add_argument("--scorecard", default="chat-quality", help="scorecard slug")
        learn.add_argument("--min-examples", type=int, default=40)
        check = sub.add_parser(
            "evaluate",
            help="score the detectors against a labelled set; writes nothing",
            description=(
                "Run the detectors (with the organisation's AutoQA rules and mapping) on "
                "conversations in the native JSONL format and compare them with people's "
                "labels, a CSV with external_id,detector,label,label_kind[,note]; label_kind "
                "is binary (1 = the behaviour is present), score (higher = more) or applies "
                "(1 = the detector should return a score); a label may also name the "
                "criterion 'overall'. Prints precision, recall, F1, Cohen's kappa and "
                "accuracy (binary), Pearson and Spearman (score) or precision and recall of "
                "'applies', with 95% intervals; the last lines are machine-readable, one per "
                "detector. Rows that cannot be used are named on stderr. Nothing is written "
                "unless --publish is given."
            ),
        )
        check.add_argument("--conversations", help="native JSONL file")
        check.add_argument("--labels", help="labels CSV file")
        check.add_argument(
            "--reviews",
            action="store_true",
            help="instead of files: AutoQA against the organisation's own human reviews, per "
            "criterion (binary: rated 50 or more; score: the rating / 100)",
        )
        check.add_argument("--since", help="with --reviews: conversations from YYYY-MM-DD")
        check.add_argument(
            "--detector", action="append", default=[], help="only this detector (repeatable)"
        )
        check.add_argument(
            "--threshold",
            type=float,
            default=HIT,
            help=f"a hit is a score ≥ this ({HIT:g}; 0.5 with --reviews)",
        )
        check.add_argument(
            "--publish",
            metavar="NAME",
            help="also show the figures on the AutoQA page under this data set name "
            "(the only thing this command ever writes)",
        )
        check.add_argument(
            "--na",
            choices=["miss", "skip"],
            default="miss",
            help="a detector that does not apply: a miss (default) or left out",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "evaluate":
            self._evaluate(options)
            return
        if options["action"] == "train":
            self._train(options["scorecard"], options["min_examples"])
            return
        since = _date(options["since"]) if options["since"] else None
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        queued = enqueue_changed(since)
        pending = Job.objects.filter(status__in=[Job.Status.PENDING, Job.Status.RUNNING]).count()
        self.stdout.write(f"{queued} conversations queued; {pending} to score")
        parent = os.getpid()
        # Every process's scoring done, before any recomputes the marked days (a process's
        # last batch holds its days until it commits): each helper closes its end of one pipe
        # when its scoring is done (or it dies), and this process closes the other pipe once
        # its own scoring is done and every helper's end is closed.
        ends = _Done(*os.pipe(), *os.pipe())
        if options["workers"] > 1:
            connections.close_all()  # each process opens its own
        helpers = [fork_child(lambda: _helper(parent, ends)) for _ in range(options["workers"] - 1)]
        os.close(ends.helpers_write)
        os.close(ends.all_read)
        started = timezone.now()
        bar = tqdm(total=pending, unit=" conv", disable=options["no_progress"], desc="autoqa")

        def progress(_: int) -> None:
            # What is left, counted from the index of the jobs still to do: counting the jobs
            # done since the start read every job (0.3 s a batch at a million).
            if bar.disable:
                return
            left = Job.objects.filter(status__in=[Job.Status.PENDING, Job.Status.RUNNING])
            bar.n = max(0, pending - left.count())
            bar.refresh()

        try:
            totals = work(worker_name(), on_batch=progress)
            os.read(ends.helpers_read, 1)  # the end: every helper's scoring is done
        finally:
            os.close(ends.helpers_read)
            os.close(ends.all_write)  # the helpers go on to the rollups (or, on an error, end)
        marks = 0
        if rollups.side_by_side():  # with the helpers, each taking the days no other has
            marks += rollups.current_or_told(self.stderr.write)
        failed = [pid for pid in helpers if exit_status(pid) != 0]
        # A helper that died left its claims: this process takes them over now.
        totals.scored += work(worker_name(), on_batch=progress).scored
        progress(0)
        bar.close()
        done = Job.objects.filter(status=Job.Status.DONE, updated_at__gte=started).count()
        errors = Job.objects.filter(status=Job.Status.FAILED, updated_at__gte=started).count()
        self.stdout.write(
            f"{done} conversations scored ({totals.scored} by this process), {errors} failed"
        )
        if failed:
            self.stderr.write(f"{len(failed)} worker process(es) ended with an error")
        # The marked rollup days left, now that no helper writes any more.
        marks += rollups.current_or_told(self.stderr.write)
        self.stdout.write(f"{marks} marked rollup days recomputed by this process (per kind)")
        left = unscored()
        if left:
            raise CommandError(left)

    def _evaluate(self, options: dict[str, Any]) -> None:
        unknown = [d for d in options["detector"] if d not in MEASURABLE]
        if unknown:
            raise CommandError(
                f"no detector {', '.join(unknown)}; use one of {', '.join(MEASURABLE)}"
            )
        if not 0 <= options["threshold"] <= 1:
            raise CommandError("--threshold must be from 0 to 1")
        if options["reviews"]:
            since = _date(options["since"]) if options["since"] else None
            threshold = options["threshold"] if options["threshold"] != HIT else 0.5
            evaluation = reviews_evaluation(since, threshold)
            if not evaluation.reports:
                raise CommandError("no conversation has both an AutoQA and a human review")
            self.stdout.write("\n".join(report_lines(evaluation)))
            return
        if not options["conversations"] or not options["labels"]:
            raise CommandError("give --conversations and --labels, or --reviews")
        data = {}
        for name in ("conversations", "labels"):
            try:
                data[name] = Path(options[name]).read_bytes()
            except OSError as exc:
                raise CommandError(f"--{name}: {exc.strerror}: {options[name]}") from None
        evaluation = evaluate_files(
            data["conversations"],
            data["labels"],
            detectors=options["detector"],
            threshold=options["threshold"],
            na=options["na"],
        )
        for where, errors in (
            ("conversations", evaluation.errors),
            ("labels", evaluation.label_errors),
        ):
            for error in errors[:20]:
                self.stderr.write(f"{options[where]}: {error}")
            if len(errors) > 20:
                self.stderr.write(f"{options[where]}: … and {len(errors) - 20} more rows not used")
        if not evaluation.reports:
            raise CommandError("no label could be evaluated (see the rows named above)")
        self.stdout.write("\n".join(report_lines(evaluation)))
        if options["publish"]:
            try:
                shown = publish_validations(evaluation, options["publish"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stderr.write(
                f"{len(shown)} figure set(s) shown on the AutoQA page as “{options['publish']}”"
            )

    def _train(self, slug: str, minimum: int) -> None:
        try:
            outcomes = train_models(slug, minimum=minimum)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{'criterion':<18}{'ratings':>8}{'held out':>9}  {'model κ (95% CI)':<22}"
            f"{'rules κ':>8}{'model exact':>12}{'rules exact':>12}  used"
        )
        for o in outcomes:
            e = o.evaluation
            if e is None:
                self.stdout.write(f"{o.criterion:<18}{o.examples:>8}  skipped: {o.skipped}")
                continue
            kappa = (
                f"{e.kappa.value:.2f} ({e.kappa.ci_low:.2f} to {e.kappa.ci_high:.2f})"
                if e.kappa
                else "—"
            )
            rules = f"{e.rule_kappa.value:.2f}" if e.rule_kappa else "—"
            rule_exact = f"{e.rule_exact:.0%}" if e.rule_exact is not None else "—"
            self.stdout.write(
                f"{o.criterion:<18}{o.examples:>8}{e.n_test:>9}  {kappa:<22}{rules:>8}"
                f"{e.exact:>12.0%}{rule_exact:>12}  {'model' if o.active else 'rules'}"
            )
        self.stdout.write(
            "A model is used where the low end of its κ interval beats the rules' κ. Every "
            "conversation is queued for rescoring: run `supportqa autoqa run`."
        )


class _Done(NamedTuple):
    """The pipes that tell `autoqa run`'s processes when the scoring is done (file
    descriptors; nothing is ever written, a closed end is the message)."""

    all_read: int  # helpers: the end of it, the run's scoring and every helper's are done
    all_write: int
    helpers_read: int  # the run: the end of it, every helper's scoring is done
    helpers_write: int


def _helper(parent: int, done: _Done) -> int:
    """A helper of `autoqa run --workers N` (a fork of the run): it scores until no job is
    left or the run has died; then, on PostgreSQL, once every process's scoring is done (a
    process's last batch holds its days until it commits), recomputes the marked rollup days
    beside the others, each taking the days no other holds (on SQLite the run recomputes
    them alone once its helpers are done). Returns its exit status."""
    os.close(done.all_write)  # these copies would keep the pipes open
    os.close(done.helpers_read)
    work(worker_name(), keep_going=lambda: parent_alive(parent))
    os.close(done.helpers_write)  # this helper's scoring is done
    if rollups.side_by_side():
        os.read(done.all_read, 1)  # the end of the pipe: all scoring is done, or the run died
        if parent_alive(parent):
            rollups.current_or_told(lambda message: sys.stderr.write(f"{message}\n"))
    connections.close_all()  # a fork ends without the interpreter's clean-up
    return 0


def unscored() -> str:
    """What a run leaves undone, in words ("" if nothing): failed jobs, and jobs still
    pending or claimed (by workers on other hosts, or that are still running)."""
    counts = dict(
        Job.objects.exclude(status=Job.Status.DONE)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    if not counts:
        return ""
    parts = [
        f"{counts[status]} {label}"
        for status, label in (
            (Job.Status.FAILED, "failed (the AutoQA page lists why)"),
            (Job.Status.PENDING, "still queued"),
            (Job.Status.RUNNING, "claimed by workers still running elsewhere"),
        )
        if counts.get(status)
    ]
    return f"{sum(counts.values())} conversations left unscored: {', '.join(parts)}"


def _date(text: str) -> datetime:
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise CommandError(f"--since {text!r} is not a date (YYYY-MM-DD)") from None
    return timezone.make_aware(datetime.combine(day, clock.min))
