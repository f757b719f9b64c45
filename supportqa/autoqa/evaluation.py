"""AutoQA measured against a labelled set (`supportqa autoqa evaluate`, the AutoQA evaluation
page for admins): conversations in the native JSONL format and a labels CSV
(`external_id,detector,label,label_kind[,note]`) are read, the detectors run in memory with the
organisation's AutoQA rules, and `core.autoqa.evaluate` compares them with the labels. Nothing
is written to the organisation's data.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from supportqa.autoqa.models import AutoQASettings
from supportqa.core import autoqa
from supportqa.core.autoqa.evaluate import (
    HIT,
    KINDS,
    BinaryReport,
    Label,
    Report,
    ScoreReport,
    evaluate,
    summary_line,
)
from supportqa.core.intervals import Estimate
from supportqa.integrations.csvrows import csv_records
from supportqa.integrations.native import parse_file
from supportqa.integrations.records import RecordInvalid, RowError, text_field

LABEL_COLUMNS = ("external_id", "detector", "label", "label_kind")
# Criteria that labels may name like a detector: name → (scorecard slug, criterion key). Its
# score is the criterion's AutoQA rating (score_criteria over its mapped detectors) / 100.
CRITERIA = {"overall": ("overall-handling", "overall")}
MEASURABLE = (*autoqa.DETECTORS, *CRITERIA)


@dataclass(frozen=True)
class LabelRow:
    line: int
    label: Label


@dataclass
class Evaluation:
    """What one evaluation found: the reports, and every row it could not use, named."""

    reports: list[Report]
    conversations: int
    labels: int
    seconds: float
    threshold: float
    na: str
    errors: list[RowError] = field(default_factory=list)  # conversations file
    label_errors: list[RowError] = field(default_factory=list)

    def by_detector(self) -> dict[str, list[Report]]:
        found: dict[str, list[Report]] = {}
        for report in self.reports:
            found.setdefault(report.detector, []).append(report)
        return found

    def summary_lines(self) -> list[str]:
        return [summary_line(name, reports) for name, reports in self.by_detector().items()]


def _label_row(row: dict[str, str], line: int) -> LabelRow:
    external_id = text_field(row.get("external_id"), "external_id", required=True)
    detector = text_field(row.get("detector"), "detector", required=True).strip()
    if detector not in MEASURABLE:
        raise RecordInvalid(
            "detector", f"{detector!r} is not a detector; use one of {', '.join(MEASURABLE)}"
        )
    kind = text_field(row.get("label_kind"), "label_kind", required=True).strip().lower()
    if kind not in KINDS:
        raise RecordInvalid("label_kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    raw = (row.get("label") or "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise RecordInvalid("label", f"{raw[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise RecordInvalid("label", "must be a finite number")
    if kind != "score" and value not in (0.0, 1.0):
        raise RecordInvalid("label", f"a {kind} label is 0 or 1, not {raw[:40]!r}")
    note = text_field(row.get("note"), "note", limit=2000)
    return LabelRow(line, Label(external_id, detector, value, kind, note))


def read_labels(data: bytes) -> tuple[list[LabelRow], list[RowError]]:
    """The labels of a CSV file, and its rows that cannot be used (line, column, reason)."""
    rows: list[LabelRow] = []
    errors: list[RowError] = []
    for item in csv_records(
        data,
        LABEL_COLUMNS,
        _label_row,
        unique=[
            (
                "external_id",
                lambda r: (r.label.external_id, r.label.detector, r.label.kind),
                "a second label of this kind for this conversation and detector",
            )
        ],
    ):
        (errors if isinstance(item, RowError) else rows).append(item)  # type: ignore[arg-type]
    return rows, errors


def detector_scores(
    data: bytes,
    detectors: Sequence[str],
    rules: autoqa.Rules,
    mapping: Mapping[str, Mapping[str, Sequence[str]]] = autoqa.DEFAULT_MAPPING,
) -> tuple[dict[tuple[str, str], float | None], int, list[RowError]]:
    """Each conversation's score from each detector or criterion (None: it does not apply),
    how many conversations were read, and the lines that could not be read."""
    scores: dict[tuple[str, str], float | None] = {}
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for item in parse_file(data, "evaluate"):
        if isinstance(item, RowError):
            errors.append(item)
            continue
        first = seen.setdefault(item.external_id, item.line)
        if first != item.line:
            errors.append(
                RowError(item.line, "external_id", f"repeats line {first}'s conversation")
            )
            continue
        turns = [autoqa.Turn(m.author_kind, m.text, m.sent_at) for m in item.messages]
        results = autoqa.analyse(
            turns,
            channel=item.channel,
            status=item.status,
            reopen_count=item.reopen_count,
            customer_name=item.customer_name,
            rules=rules,
        )
        for name in detectors:
            if name in CRITERIA:
                slug, key = CRITERIA[name]
                rated = autoqa.score_criteria(results, {key: mapping.get(slug, {}).get(key, ())})
                score = rated[key].score
                scores[(item.external_id, name)] = None if score is None else score / 100
            else:
                scores[(item.external_id, name)] = results[name].score
    return scores, len(seen), errors


def evaluate_files(
    conversations: bytes,
    labels: bytes,
    *,
    rules: autoqa.Rules | None = None,
    mapping: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    detectors: Sequence[str] = (),
    threshold: float = HIT,
    na: str = "miss",
) -> Evaluation:
    """Evaluate the detectors named (all those the labels name when none is) on a labelled
    set, with the organisation's AutoQA rules and mapping unless others are given. Labels of
    conversations missing from the file are errors, never silently dropped."""
    started = time.perf_counter()
    if rules is None or mapping is None:
        in_force = AutoQASettings.current()
        rules = in_force[0] if rules is None else rules
        mapping = in_force[1] if mapping is None else mapping
    rows, label_errors = read_labels(labels)
    wanted = set(detectors)
    rows = [r for r in rows if not wanted or r.label.detector in wanted]
    names = sorted({r.label.detector for r in rows})
    scores, read, errors = detector_scores(conversations, names, rules, mapping)
    usable = []
    for row in rows:
        if (row.label.external_id, row.label.detector) in scores:
            usable.append(row.label)
        else:
            label_errors.append(
                RowError(row.line, "external_id", "no conversation with this id in the file")
            )
    reports = evaluate(usable, scores, threshold=threshold, na=na)
    return Evaluation(
        reports=reports,
        conversations=read,
        labels=len(usable),
        seconds=time.perf_counter() - started,
        threshold=threshold,
        na=na,
        errors=errors,
        label_errors=sorted(label_errors, key=lambda e: e.line),
    )


def _figure(estimate: Estimate, digits: int = 3) -> str:
    if estimate.value is None or math.isnan(estimate.value):
        return "—"
    text = f"{estimate.value:.{digits}f}"
    if estimate.low is not None and estimate.high is not None:
        text += f" ({estimate.low:.{digits}f}–{estimate.high:.{digits}f})"
    return text


def report_lines(evaluation: Evaluation) -> list[str]:
    """The evaluation as the command prints it; the last lines are machine-readable, one per
    detector (`detector NAME: n=… precision=… recall=… f1=… kappa=…`)."""
    e = evaluation
    na = "counted as no hit" if e.na == "miss" else "left out"
    lines = [
        f"{e.conversations} conversations and {e.labels} labels read in {e.seconds:.1f} s; "
        "figures with 95% intervals.",
    ]
    for report in e.reports:
        lines.append("")
        if isinstance(report, BinaryReport):
            kappa = report.kappa
            kappa_text = (
                f"{kappa.value:.3f} ({kappa.ci_low:.3f}–{kappa.ci_high:.3f})" if kappa else "—"
            )
            c = report.counts
            lines += [
                f"{report.detector}: binary labels, a hit is a score ≥ {report.threshold:g}; "
                f"“does not apply” {na} ({report.not_applied} conversations)",
                f"  n {c.n}, people said yes {c.positives}: "
                f"tp {c.tp}, fp {c.fp}, fn {c.fn}, tn {c.tn}",
                f"  precision {_figure(c.precision)}, recall {_figure(c.recall)}, "
                f"F1 {_figure(report.f1)}, Cohen's κ {kappa_text}, "
                f"accuracy {_figure(c.accuracy)}",
                f"  where people said no (label 0): precision {_figure(c.absent_precision)}, "
                f"recall {_figure(c.absent_recall)}",
                "  threshold   hits  precision  recall     F1",
            ]
            lines += [
                f"  {p.threshold:>9.2f} {p.hits:>6}  {_plain(p.precision):>9}  "
                f"{_plain(p.recall):>6}  {_plain(p.f1):>5}"
                for p in report.curve
            ]
        elif isinstance(report, ScoreReport):
            lines += [
                f"{report.detector}: score labels, n {report.n} "
                f"({report.not_applied} where the detector does not apply, left out)",
                f"  Pearson r {_figure(report.pearson)}, Spearman ρ {_figure(report.spearman)}",
            ]
            if report.ordering is not None:
                lines.append(
                    f"  within groups, pairs ordered as people did: {_figure(report.ordering)} "
                    f"of {report.ordering.n} pairs"
                )
        else:
            c = report.counts
            lines += [
                f"{report.detector}: “applies” labels, n {c.n}, people said it applies "
                f"{c.positives}: tp {c.tp}, fp {c.fp}, fn {c.fn}, tn {c.tn}",
                f"  precision {_figure(c.precision)}, recall {_figure(c.recall)}",
            ]
    return [*lines, "", *e.summary_lines()]


def _plain(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


# What a detector's "yes" means, for the sentences on the AutoQA page.
BEHAVIOUR = {
    "greeting": "the agent greeted the customer",
    "name": "the agent used the customer's name",
    "gratitude": "the agent thanked the customer",
    "empathy": "the agent acknowledged the customer's feelings",
    "politeness": "the agent was polite",
    "readability": "the agent's messages are easy to read",
    "spelling": "the agent's spelling is right",
    "understanding": "the agent understood the request",
    "resolution": "the request was resolved",
    "response_time": "the agent replied in time",
    "follow_up": "the agent offered more help",
    "personalization": "the reply was personal, not scripted",
    "compliance": "no policy was broken",
    "overall": "the conversation was handled well overall",
}


def figures_of(report: Report) -> dict[str, list[float | None]]:
    """A report's figures as stored for the AutoQA page: name → [value, low, high]."""

    def triple(estimate: Estimate | None) -> list[float | None]:
        return (
            [None, None, None]
            if estimate is None
            else [estimate.value, estimate.low, estimate.high]
        )

    if isinstance(report, BinaryReport):
        c = report.counts
        kappa = report.kappa
        return {
            "precision": triple(c.precision),
            "recall": triple(c.recall),
            "f1": triple(report.f1),
            "kappa": [kappa.value, kappa.ci_low, kappa.ci_high] if kappa else [None] * 3,
            "absent_precision": triple(c.absent_precision),
            "absent_recall": triple(c.absent_recall),
            "positives": [float(c.positives), None, None],
            "accuracy": triple(c.accuracy),
        }
    if isinstance(report, ScoreReport):
        return {
            "pearson": triple(report.pearson),
            "spearman": triple(report.spearman),
            "ordering": triple(report.ordering),
        }
    return {"precision": triple(report.counts.precision), "recall": triple(report.counts.recall)}


def size_of(report: Report) -> int:
    return report.n if isinstance(report, ScoreReport) else report.counts.n


def in_words(
    kind: str, detector: str, n: int, figures: dict[str, Any], threshold: float | None = None
) -> list[str]:
    """A validation in plain words: "When AutoQA says the agent greeted the customer, people
    agreed 93 times in 100 (91 to 94)…"."""

    def per_100(name: str) -> str | None:
        value, low, high = figures.get(name) or [None, None, None]
        if value is None:
            return None
        spread = f" ({low * 100:.0f} to {high * 100:.0f})" if low is not None else ""
        return f"{value * 100:.0f} times in 100{spread}"

    said = BEHAVIOUR.get(detector, detector.replace("_", " "))
    if threshold is not None and threshold < 0.5:  # a hit is then "not below expectations"
        said = (
            "the agent was not rude"
            if detector == "politeness"
            else f"nothing fell short on {detector.replace('_', ' ')}"
        )
    if kind == "binary":
        lines = []
        if per_100("precision"):
            lines.append(f"When AutoQA says {said}, people agreed {per_100('precision')}.")
        if per_100("recall"):
            lines.append(f"Where people said so, AutoQA said so too {per_100('recall')}.")
        if per_100("absent_precision") and per_100("absent_recall"):
            lines.append(
                f"When AutoQA says the opposite, people agreed {per_100('absent_precision')}; "
                f"of the conversations where people said the opposite, it said so too "
                f"{per_100('absent_recall')}."
            )
        kappa = (figures.get("kappa") or [None])[0]
        if kappa is not None:
            lines.append(
                f"Cohen's κ {kappa:.2f} (1: full agreement; 0: no better than chance), "
                f"{n:,} conversations."
            )
        return lines
    if kind == "score":
        value, low, high = figures.get("spearman") or [None, None, None]
        if value is None:
            return [f"Not measurable on these {n:,} conversations."]
        lines = [
            f"AutoQA's rating and people's go together with Spearman's ρ {value:.2f}"
            + (f" ({low:.2f} to {high:.2f})" if low is not None else "")
            + f" (1: the same order; 0: unrelated), {n:,} conversations."
        ]
        if per_100("ordering"):
            lines.append(
                "Of two texts people put at different levels, it ordered them as people did "
                f"{per_100('ordering')}."
            )
        return lines
    lines = []
    if per_100("recall"):
        lines.append(f"Where it should, AutoQA could rate this {per_100('recall')}.")
    if per_100("precision"):
        lines.append(f"When it did, people agreed it should {per_100('precision')}.")
    return lines


def reviews_evaluation(since: Any = None, threshold: float = 0.5) -> Evaluation:
    """The same evaluation on the organisation's own human reviews: per criterion, AutoQA's
    rating of a conversation against the human reviewer's (the pairs the AutoQA page reads),
    as score labels (the rating / 100) and binary ones (1 = rated 50 or more: meets the
    standard at least). `since`: only conversations created from then."""
    from supportqa.autoqa.report import rating_pairs  # report → actions → this module

    started = time.perf_counter()
    pairs = rating_pairs(since)
    labels, predictions = [], {}
    for conversation, agent, key, ours, theirs in pairs:
        ref = f"{conversation}:{agent}"  # AutoQA rates a conversation once per agent
        predictions[(ref, key)] = ours / 100
        labels.append(Label(ref, key, theirs / 100, "score"))
        labels.append(Label(ref, key, 1.0 if theirs >= 50 else 0.0, "binary"))
    reports = evaluate(labels, predictions, threshold=threshold)
    return Evaluation(
        reports=reports,
        conversations=len({c for c, *_ in pairs}),
        labels=len(labels),
        seconds=time.perf_counter() - started,
        threshold=threshold,
        na="miss",
    )
