"""AutoQA measured against people's labels (`supportqa autoqa evaluate`, docs/autoqa.md).

A label says what people judged about one conversation for one detector:

- `binary`: 1 = the behaviour the detector rewards is present ("good"). The detector "hits"
  when its score reaches a threshold; a detector that does not apply counts as no hit
  (`na="miss"`) or is left out (`na="skip"`). Reported: the confusion counts, precision and
  recall with Wilson intervals, F1 with a bootstrap interval, Cohen's κ with its interval, and
  the same figures at every threshold the detector's scores allow (the PR curve).
- `score`: a human mean or level, higher = more of the behaviour. Reported: Pearson r and
  Spearman ρ with Fisher-z intervals over the conversations the detector scored, and, where
  the label's note carries `group=KEY`, how often the detector orders two texts of one group
  as people did.
- `applies`: 1 = the detector should return a score rather than "does not apply". Reported:
  precision and recall of "applies".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from scipy import stats

from supportqa.core.agreement import Agreement, AgreementError, table_agreement
from supportqa.core.intervals import Estimate, wilson

KINDS = ("binary", "score", "applies")
HIT = 0.75  # a detector's score from which it counts as finding the behaviour (README of the sets)
BOOTSTRAP = 2000
SEED = 20261201


class LabelError(ValueError):
    """A label row that cannot be used, named by its line."""


@dataclass(frozen=True)
class Label:
    external_id: str
    detector: str
    value: float
    kind: str
    note: str = ""

    @property
    def group(self) -> str:
        """The `group=KEY` of the note (texts of one source at several levels), or ""."""
        for part in self.note.replace(";", " ").split():
            if part.startswith("group="):
                return part.removeprefix("group=")
        return ""


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    precision: float | None
    recall: float | None
    f1: float | None
    hits: int


@dataclass(frozen=True)
class Counts:
    """People's yes/no against the detector's: the four cells, with precision and recall
    (Wilson intervals) of the detector's yes."""

    tp: int
    fp: int
    fn: int
    tn: int

    @classmethod
    def of(cls, pairs: Sequence[tuple[int, bool]]) -> Counts:
        tp = sum(1 for truth, said in pairs if truth and said)
        fp = sum(1 for truth, said in pairs if not truth and said)
        fn = sum(1 for truth, said in pairs if truth and not said)
        return cls(tp, fp, fn, len(pairs) - tp - fp - fn)

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> Estimate:
        return wilson(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> Estimate:
        return wilson(self.tp, self.tp + self.fn)

    @property
    def accuracy(self) -> Estimate:
        return wilson(self.tp + self.tn, self.n)

    @property
    def absent_precision(self) -> Estimate:
        """Of the detector's "no", the share people also said no to (e.g. rudeness found)."""
        return wilson(self.tn, self.tn + self.fn)

    @property
    def absent_recall(self) -> Estimate:
        """Of people's "no", the share the detector found (e.g. exposed secrets caught)."""
        return wilson(self.tn, self.tn + self.fp)


@dataclass(frozen=True)
class BinaryReport:
    detector: str
    threshold: float
    na: str
    counts: Counts
    not_applied: int  # predictions "does not apply" (counted as no hit, or left out)
    f1: Estimate
    kappa: Agreement | None
    curve: list[CurvePoint] = field(default_factory=list)

    kind = "binary"


@dataclass(frozen=True)
class ScoreReport:
    detector: str
    n: int
    not_applied: int
    pearson: Estimate
    spearman: Estimate
    ordering: Estimate | None  # within-group pairs ordered as people did

    kind = "score"


@dataclass(frozen=True)
class AppliesReport:
    detector: str
    counts: Counts  # people: it applies; the detector: it returned a score

    kind = "applies"


Report = BinaryReport | ScoreReport | AppliesReport


def evaluate(
    labels: Iterable[Label],
    predictions: Mapping[tuple[str, str], float | None],
    *,
    threshold: float = HIT,
    na: str = "miss",
) -> list[Report]:
    """One report per (detector, label kind), in the order they first occur. `predictions`
    maps (external id, detector) to the detector's score (None: it does not apply); a label
    whose conversation has no prediction is an error (the conversation was not in the file)."""
    if na not in ("miss", "skip"):
        raise ValueError("na must be 'miss' or 'skip'")
    groups: dict[tuple[str, str], list[tuple[Label, float | None]]] = defaultdict(list)
    for label in labels:
        key = (label.external_id, label.detector)
        if key not in predictions:
            raise LabelError(f"{label.external_id}: no such conversation, or no such detector")
        groups[(label.detector, label.kind)].append((label, predictions[key]))
    reports: list[Report] = []
    for (detector, kind), rows in groups.items():
        if kind == "binary":
            reports.append(binary_report(detector, rows, threshold, na))
        elif kind == "score":
            reports.append(score_report(detector, rows))
        else:
            reports.append(applies_report(detector, rows))
    return reports


def _f1(tp: float, fp: float, fn: float) -> float | None:
    return None if 2 * tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)


def f1_interval(tp: int, fp: int, fn: int, tn: int, confidence: float = 0.95) -> Estimate:
    """F1 with a percentile bootstrap interval: the four cells resampled as a multinomial
    (BOOTSTRAP draws, a fixed seed, so a run is repeatable)."""
    n = tp + fp + fn + tn
    value = _f1(tp, fp, fn)
    if value is None or n == 0:
        return Estimate(value, n)
    draws = np.random.default_rng(SEED).multinomial(n, np.array([tp, fp, fn, tn]) / n, BOOTSTRAP)
    denominator = 2 * draws[:, 0] + draws[:, 1] + draws[:, 2]
    scores = np.where(denominator > 0, 2 * draws[:, 0] / np.maximum(denominator, 1), 0.0)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(scores, [tail, 100 - tail])
    return Estimate(value, n, float(low), float(high))


def _kappa(tp: int, fp: int, fn: int, tn: int) -> Agreement | None:
    """Cohen's κ of people (rows) and the detector (columns); None where one side gives the
    same answer for every conversation (κ is then 0 or undefined, with no spread to put an
    interval on: reading it as "no better than chance" would mislead)."""
    if 0 in (tp + fp, fn + tn, tp + fn, fp + tn):
        return None
    try:
        result = table_agreement([[tn, fp], [fn, tp]], "cohen")
    except (AgreementError, ZeroDivisionError, FloatingPointError):
        return None
    return None if math.isnan(result.value) else result


def binary_report(
    detector: str, rows: Sequence[tuple[Label, float | None]], threshold: float, na: str
) -> BinaryReport:
    kept = [(int(label.value >= 0.5), score) for label, score in rows]
    not_applied = sum(1 for _, score in kept if score is None)
    if na == "skip":
        kept = [(truth, score) for truth, score in kept if score is not None]
    counts = Counts.of([(truth, score is not None and score >= threshold) for truth, score in kept])
    c = counts
    return BinaryReport(
        detector=detector, threshold=threshold, na=na, counts=c, not_applied=not_applied,
        f1=f1_interval(c.tp, c.fp, c.fn, c.tn), kappa=_kappa(c.tp, c.fp, c.fn, c.tn),
        curve=pr_curve(kept),
    )  # fmt: skip


CURVE_POINTS = 40  # at most this many thresholds are reported (spread over the scores)


def pr_curve(pairs: Sequence[tuple[int, float | None]]) -> list[CurvePoint]:
    """Precision, recall and F1 at each threshold the scores take (a hit: score ≥ threshold),
    in one sweep down the sorted scores; thinned to CURVE_POINTS evenly spread thresholds."""
    scored = sorted((score, truth) for truth, score in pairs if score is not None)
    positives = sum(truth for truth, _ in pairs)
    points: list[CurvePoint] = []
    tp = fp = 0
    index = len(scored)
    while index > 0:
        level = scored[index - 1][0]
        while index > 0 and scored[index - 1][0] == level:
            index -= 1
            tp += scored[index][1]
            fp += 1 - scored[index][1]
        fn = positives - tp
        points.append(
            CurvePoint(
                level,
                tp / (tp + fp),
                tp / positives if positives else None,
                _f1(tp, fp, fn),
                tp + fp,
            )
        )
    points.reverse()
    if len(points) > CURVE_POINTS:
        step = (len(points) - 1) / (CURVE_POINTS - 1)
        points = [points[round(i * step)] for i in range(CURVE_POINTS)]
    return points


def correlation_interval(
    r: float, n: int, *, spearman: bool = False, confidence: float = 0.95
) -> Estimate:
    """r with its Fisher-z interval: standard error 1/√(n−3) for Pearson's r and √(1.06/(n−3))
    for Spearman's ρ (Fieller, Hartley & Pearson 1957)."""
    if n < 4 or math.isnan(r):
        return Estimate(None if math.isnan(r) else r, n)
    se = math.sqrt((1.06 if spearman else 1.0) / (n - 3))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    centre = math.atanh(max(min(r, 0.999999), -0.999999))
    return Estimate(r, n, math.tanh(centre - z * se), math.tanh(centre + z * se))


def score_report(detector: str, rows: Sequence[tuple[Label, float | None]]) -> ScoreReport:
    scored = [(label, score) for label, score in rows if score is not None]
    truth = np.array([label.value for label, _ in scored], dtype=float)
    found = np.array([score for _, score in scored], dtype=float)
    n = len(scored)
    constant = n < 3 or np.ptp(truth) == 0 or np.ptp(found) == 0
    pearson = float("nan") if constant else float(stats.pearsonr(truth, found)[0])
    spearman = float("nan") if constant else float(stats.spearmanr(truth, found)[0])
    return ScoreReport(
        detector=detector,
        n=n,
        not_applied=len(rows) - n,
        pearson=correlation_interval(pearson, n),
        spearman=correlation_interval(spearman, n, spearman=True),
        ordering=_ordering(scored),
    )


def _ordering(scored: Sequence[tuple[Label, float]]) -> Estimate | None:
    """Of the pairs of texts in one group that people put at different levels, the share the
    detector orders the same way (a tie counts as half), with a percentile bootstrap interval
    that resamples whole groups (pairs of one group are not independent)."""
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for label, score in scored:
        if label.group:
            groups[label.group].append((label.value, score))
    tallies = []  # per group: (pairs agreeing, pairs)
    for members in groups.values():
        agree, pairs = 0.0, 0
        for (a_truth, a_score), (b_truth, b_score) in combinations(members, 2):
            if a_truth == b_truth:
                continue
            pairs += 1
            same = (a_truth - b_truth) * (a_score - b_score)
            agree += 1.0 if same > 0 else 0.5 if same == 0 else 0.0
        if pairs:
            tallies.append((agree, pairs))
    if not tallies:
        return None
    counts = np.array(tallies)
    total = counts[:, 1].sum()
    value = float(counts[:, 0].sum() / total)
    if len(tallies) < 2:
        return Estimate(value, int(total))
    draws = np.random.default_rng(SEED).integers(0, len(tallies), (BOOTSTRAP, len(tallies)))
    shares = counts[draws, 0].sum(axis=1) / counts[draws, 1].sum(axis=1)
    low, high = np.percentile(shares, [2.5, 97.5])
    return Estimate(value, int(total), float(low), float(high))


def applies_report(detector: str, rows: Sequence[tuple[Label, float | None]]) -> AppliesReport:
    return AppliesReport(
        detector, Counts.of([(int(label.value >= 0.5), score is not None) for label, score in rows])
    )


def summary_line(detector: str, reports: Sequence[Report]) -> str:
    """The machine-readable line of one detector: `detector NAME: n=… precision=… recall=…
    f1=… kappa=… accuracy=…` for binary labels, `pearson=… spearman=…` for scores (with
    `n_score=` after binary ones), `precision=… recall=…` for "applies" (`n_applies=…
    applies_precision=… applies_recall=…` after binary ones)."""
    parts: list[str] = []
    for report in sorted(reports, key=lambda r: KINDS.index(r.kind)):
        if isinstance(report, BinaryReport):
            kappa = report.kappa.value if report.kappa else None
            parts += [
                f"n={report.counts.n}",
                f"precision={_plain(report.counts.precision.value)}",
                f"recall={_plain(report.counts.recall.value)}",
                f"f1={_plain(report.f1.value)}",
                f"kappa={_plain(kappa)}",
                f"accuracy={_plain(report.counts.accuracy.value)}",
            ]
        elif isinstance(report, ScoreReport):
            n_name = "n_score" if any(p.startswith("n=") for p in parts) else "n"
            parts += [
                f"{n_name}={report.n}",
                f"pearson={_plain(report.pearson.value)}",
                f"spearman={_plain(report.spearman.value)}",
            ]
        else:
            prefix = "applies_" if any(p.startswith("n=") for p in parts) else ""
            parts += [
                f"{'n_applies' if prefix else 'n'}={report.counts.n}",
                f"{prefix}precision={_plain(report.counts.precision.value)}",
                f"{prefix}recall={_plain(report.counts.recall.value)}",
            ]
    return f"detector {detector}: " + " ".join(parts)


def _plain(value: float | None) -> str:
    return "nan" if value is None or math.isnan(value) else f"{value:.4f}"
