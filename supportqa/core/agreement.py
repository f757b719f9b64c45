"""Inter-rater agreement: percent agreement and chance-corrected coefficients.

Two input shapes (Gwet, *Handbook of Inter-Rater Reliability*, 4th ed., 2014):
* a q×q contingency table of two raters (`table_agreement`): Cohen's κ, Scott's π, Gwet's
  AC1/AC2, Krippendorff's α, Brennan–Prediger, percent agreement;
* raw ratings, units × raters with missing cells (`raw_agreement`): Fleiss' κ, Conger's κ,
  Gwet's AC1/AC2, Krippendorff's α, Brennan–Prediger, percent agreement.
Every coefficient is weighted by a q×q matrix (identity = unweighted) and comes with Gwet's
linearisation standard error, a t interval on n − 1 degrees of freedom whose upper bound is
capped at 1, and a two-sided p-value; no finite-population correction (N = ∞).

`krippendorff_alpha` computes α from the coincidence matrix (Krippendorff 2011) at the nominal,
ordinal, interval and ratio levels.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

Matrix = NDArray[np.float64]
WEIGHTINGS = (
    "unweighted",
    "quadratic",
    "linear",
    "ordinal",
    "radical",
    "ratio",
    "circular",
    "bipolar",
)
TABLE_COEFFICIENTS = ("cohen", "scott", "gwet", "krippendorff", "bp", "percent")
RAW_COEFFICIENTS = ("fleiss", "conger", "gwet", "krippendorff", "bp", "percent")
LEVELS = ("nominal", "ordinal", "interval", "ratio")


class AgreementError(ValueError):
    pass


@dataclass(frozen=True)
class Agreement:
    coefficient: str
    value: float
    pa: float
    pe: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int

    @property
    def low(self) -> float:  # the names every other interval uses (core.intervals.Estimate)
        return self.ci_low

    @property
    def high(self) -> float:
        return self.ci_high


def _matrix(value: Any) -> Matrix:
    return np.asarray(value, dtype=np.float64)


def weight_matrix(name: str, values: Sequence[float]) -> Matrix:
    """The q×q weights of a named scheme for ordered category values (Gwet 2014, ch. 3)."""
    x = np.asarray(values, dtype=float)
    lo, hi = x.min(), x.max()
    d = x[:, None] - x[None, :]
    if name in ("unweighted", "identity"):
        return np.eye(len(x))
    if name == "quadratic":
        return _matrix(1 - (d / (hi - lo)) ** 2)
    if name == "linear":
        return _matrix(1 - np.abs(d) / (hi - lo))
    if name == "radical":
        return _matrix(1 - np.sqrt(np.abs(d)) / math.sqrt(hi - lo))
    if name == "ratio":
        if np.any(x == 0):
            raise AgreementError("ratio weights need category values other than 0")
        return _matrix(1 - (d / (x[:, None] + x[None, :])) ** 2 / ((hi - lo) / (hi + lo)) ** 2)
    if name == "ordinal":
        ranks = np.arange(len(x))
        m = np.abs(ranks[:, None] - ranks[None, :]) + 1
        disagreement = m * (m - 1) / 2.0
        return _matrix(1 - disagreement / disagreement.max())
    if name == "circular":
        disagreement = np.sin(np.pi * d / (hi - lo + 1)) ** 2
        return _matrix(1 - disagreement / disagreement.max())
    if name == "bipolar":
        s = x[:, None] + x[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            disagreement = np.where(d == 0, 0.0, d**2 / ((s - 2 * lo) * (2 * hi - s)))
        return _matrix(1 - disagreement / disagreement.max())
    raise AgreementError(f"unknown weights {name!r}; use one of {', '.join(WEIGHTINGS)}")


def _weights(weights: str | Matrix | Sequence[Sequence[float]], values: Sequence[float]) -> Matrix:
    if isinstance(weights, str):
        return weight_matrix(weights, values)
    matrix = np.asarray(weights, dtype=float)
    if matrix.shape != (len(values), len(values)):
        raise AgreementError(f"weights must be {len(values)}×{len(values)}, not {matrix.shape}")
    return matrix


def _result(
    name: str, value: float, pa: float, pe: float, variance: float, n: int, confidence: float
) -> Agreement:
    se = math.sqrt(max(variance, 0.0))
    df = n - 1
    if se > 0:
        half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
        p_value = float(2 * stats.t.sf(abs(value / se), df))
    else:
        half, p_value = 0.0, 0.0
    return Agreement(name, value, pa, pe, se, value - half, min(1.0, value + half), p_value, n)


# --- two raters, contingency table ------------------------------------------------------------


def table_agreement(
    table: Sequence[Sequence[float]] | Matrix,
    coefficient: str,
    weights: str | Matrix = "unweighted",
    confidence: float = 0.95,
) -> Agreement:
    """Agreement of two raters from their q×q table (rows: rater A, columns: rater B)."""
    counts = np.asarray(table, dtype=float)
    q = counts.shape[0]
    if counts.ndim != 2 or counts.shape != (q, q) or q < 2:
        raise AgreementError("the table must be square with at least two categories")
    w = _weights(weights, list(range(1, q + 1)))
    n = int(round(counts.sum()))
    p = counts / counts.sum()
    pa = float((w * p).sum())
    agreement = _TABLE_AGREEMENT.get(coefficient)
    if agreement is None:
        raise AgreementError(
            f"unknown coefficient {coefficient!r}; use one of {', '.join(TABLE_COEFFICIENTS)}"
        )
    return agreement(p, w, pa, n, confidence)


def _table_percent(p: Matrix, w: Matrix, pa: float, n: int, confidence: float) -> Agreement:
    variance = ((p * w**2).sum() - pa**2) / n
    return _result("Percent agreement", pa, pa, 0.0, variance, n, confidence)


def _table_bp(p: Matrix, w: Matrix, pa: float, n: int, confidence: float) -> Agreement:
    q = p.shape[0]
    pe = float(w.sum() / q**2)
    value = (pa - pe) / (1 - pe)
    variance = ((p * w**2).sum() - pa**2) / (n * (1 - pe) ** 2)
    return _result("Brennan–Prediger", value, pa, pe, variance, n, confidence)


def _table_gwet(p: Matrix, w: Matrix, pa: float, n: int, confidence: float) -> Agreement:
    q = p.shape[0]
    pi = (p.sum(axis=1) + p.sum(axis=0)) / 2
    scale = w.sum() / (q * (q - 1))
    pe = float(scale * (pi * (1 - pi)).sum())
    value = (pa - pe) / (1 - pe)
    term = w - 2 * (1 - value) * scale * (1 - (pi[:, None] + pi[None, :]) / 2)
    variance = ((p * term**2).sum() - (pa - 2 * (1 - value) * pe) ** 2) / (n * (1 - pe) ** 2)
    name = "Gwet's AC1" if np.allclose(w, np.eye(q)) else "Gwet's AC2"
    return _result(name, value, pa, pe, variance, n, confidence)


def _weighted_margins(p: Matrix, w: Matrix) -> tuple[Matrix, Matrix]:
    row, col = p.sum(axis=1), p.sum(axis=0)
    w_row = (w * col[:, None]).sum(axis=0)  # Σ_j w_jk p_+j, indexed by k
    w_col = (w * row[:, None]).sum(axis=0)  # Σ_j w_jl p_j+, indexed by l
    return w_row, w_col


def _table_cohen(p: Matrix, w: Matrix, pa: float, n: int, confidence: float) -> Agreement:
    pe = float((w * np.outer(p.sum(axis=1), p.sum(axis=0))).sum())
    w_row, w_col = _weighted_margins(p, w)
    around = w_row[:, None] + w_col[None, :]
    return _table_kappa("Cohen's kappa", p, w, pa, pa, pe, around, n, confidence)


def _scott_chance(p: Matrix, w: Matrix) -> tuple[float, Matrix]:
    """Scott's chance agreement and the w̄ terms of its linearised variance."""
    pi = (p.sum(axis=1) + p.sum(axis=0)) / 2
    pe = float((w * np.outer(pi, pi)).sum())
    w_row, w_col = _weighted_margins(p, w)
    mean_w = (w_row + w_col) / 2
    return pe, mean_w[:, None] + mean_w[None, :]


def _table_scott(p: Matrix, w: Matrix, pa: float, n: int, confidence: float) -> Agreement:
    pe, around = _scott_chance(p, w)
    return _table_kappa("Scott's pi", p, w, pa, pa, pe, around, n, confidence)


def _table_krippendorff(p: Matrix, w: Matrix, pa: float, n: int, confidence: float) -> Agreement:
    pe, around = _scott_chance(p, w)
    epsilon = 1 / (2 * n)  # small-sample correction of the observed agreement
    reported_pa = (1 - epsilon) * pa + epsilon
    return _table_kappa("Krippendorff's alpha", p, w, pa, reported_pa, pe, around, n, confidence)


def _table_kappa(
    name: str,
    p: Matrix,
    w: Matrix,
    pa: float,
    reported_pa: float,
    pe: float,
    around: Matrix,
    n: int,
    confidence: float,
) -> Agreement:
    """Cohen, Scott and Krippendorff share the linearised variance around w̄ terms."""
    kappa = (pa - pe) / (1 - pe)
    value = (reported_pa - pe) / (1 - pe)
    variance = ((p * (w - (1 - kappa) * around) ** 2).sum() - (pa - 2 * (1 - kappa) * pe) ** 2) / (
        n * (1 - pe) ** 2
    )
    return _result(name, value, reported_pa, pe, variance, n, confidence)


_TABLE_AGREEMENT: dict[str, Callable[[Matrix, Matrix, float, int, float], Agreement]] = {
    "cohen": _table_cohen,
    "scott": _table_scott,
    "gwet": _table_gwet,
    "krippendorff": _table_krippendorff,
    "bp": _table_bp,
    "percent": _table_percent,
}


# --- any number of raters, raw ratings ----------------------------------------------------------


@dataclass
class _Raw:
    """Ratings coded as category indexes: one row per unit rated at least once."""

    categories: list[Any]
    counts: Matrix  # units × q: how many raters put the unit in each category
    coded: NDArray[np.int64] | None = None  # units × raters, −1 = missing
    numeric: NDArray[np.float64] | None = None  # the same as numbers, NaN = missing

    @property
    def n(self) -> int:
        return int(self.counts.shape[0])

    @property
    def codes(self) -> NDArray[np.int64]:
        if self.coded is None:  # numeric input: coded only when a coefficient needs raters
            assert self.numeric is not None
            rated = ~np.isnan(self.numeric)
            self.coded = np.full(self.numeric.shape, -1, dtype=np.int64)
            self.coded[rated] = np.searchsorted(self.categories, self.numeric[rated])
        return self.coded


def _code(ratings: Sequence[Sequence[Any]], categories: Sequence[Any] | None) -> _Raw:
    if isinstance(ratings, np.ndarray) and ratings.dtype.kind == "f" and categories is None:
        return _code_array(ratings)
    rows = _rated_rows(ratings)
    cats = _categories(rows, categories)
    index = {c: i for i, c in enumerate(cats)}
    codes = np.array([[-1 if v is None else index[v] for v in row] for row in rows], dtype=np.int64)
    counts = np.stack([(codes == k).sum(axis=1) for k in range(len(cats))], axis=1).astype(float)
    return _Raw(cats, counts, coded=codes)


def _rated_rows(ratings: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """The units rated at least once, with every missing rating as None."""
    rows = [[None if _missing(v) else v for v in row] for row in ratings]
    rows = [row for row in rows if any(v is not None for v in row)]
    if not rows:
        raise AgreementError("no ratings")
    return rows


def _categories(rows: list[list[Any]], categories: Sequence[Any] | None) -> list[Any]:
    """The given categories (every rating must be one), or else the ratings seen, in order."""
    seen = sorted({v for row in rows for v in row if v is not None}, key=_order)
    if categories is None:
        return seen
    cats = list(categories)
    known = set(cats)
    unknown = [v for v in seen if v not in known]
    if unknown:
        raise AgreementError(f"rating {unknown[0]!r} is not one of the categories")
    return cats


def _code_array(ratings: NDArray[np.float64]) -> _Raw:
    """Vectorised coding of a numeric units × raters array, NaN = missing."""
    ratings = ratings[~np.isnan(ratings).all(axis=1)]
    present = ratings[~np.isnan(ratings)]
    if present.size == 0:
        raise AgreementError("no ratings")
    values = np.unique(present)
    # One comparison pass per category beats scattering codes for the usual short scales.
    counts = np.stack([(ratings == v).sum(axis=1) for v in values], axis=1).astype(float)
    return _Raw([float(v) for v in values], counts, numeric=ratings)


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _order(value: Any) -> tuple[int, Any]:
    return (0, float(value)) if isinstance(value, int | float) else (1, str(value))


def _values(categories: Sequence[Any]) -> list[float]:
    """Numeric categories weigh by value; labels by their position 1..q (as irrCAC does)."""
    if all(isinstance(c, int | float) for c in categories):
        return [float(c) for c in categories]
    return [float(i) for i in range(1, len(categories) + 1)]


def raw_agreement(
    ratings: Sequence[Sequence[Any]],
    coefficient: str,
    weights: str | Matrix = "unweighted",
    categories: Sequence[Any] | None = None,
    confidence: float = 0.95,
) -> Agreement:
    """Agreement from raw ratings: one row per unit, one column per rater; None/'' = missing."""
    raw = _code(ratings, categories)
    q = len(raw.categories)
    if q < 2 and coefficient not in ("percent",):
        raise AgreementError("chance correction needs at least two categories")
    w = _weights(weights, _values(raw.categories))
    r_i = raw.counts.sum(axis=1)
    weighted = raw.counts @ w.T  # r*_ik = Σ_l w_kl r_il
    sum_q = (raw.counts * (weighted - 1)).sum(axis=1)
    pairs = r_i * (r_i - 1)
    multi = r_i >= 2
    if not multi.any():
        raise AgreementError("agreement needs units rated by at least two raters")
    pa_i = np.divide(sum_q, pairs, out=np.zeros_like(sum_q), where=multi)
    pa = float(pa_i[multi].mean())
    if coefficient == "krippendorff":
        return _raw_krippendorff(raw, w, confidence)
    n, n2 = raw.n, int(multi.sum())
    if coefficient == "percent":
        spread = (n / n2) * pa_i * multi - pa
        return _result(
            "Percent agreement", pa, pa, 0.0, (spread**2).sum() / (n * (n - 1)), n, confidence
        )
    chance = _RAW_CHANCE.get(coefficient)
    if chance is None:
        raise AgreementError(
            f"unknown coefficient {coefficient!r}; use one of {', '.join(RAW_COEFFICIENTS)}"
        )
    name, pe, pe_i = chance(raw, w, r_i)
    value = (pa - pe) / (1 - pe)
    value_i = (n / n2) * (pa_i - pe * multi) / (1 - pe)
    value_i = value_i - 2 * (1 - value) * (pe_i - pe) / (1 - pe)
    variance = ((value_i - value) ** 2).sum() / (n * (n - 1))
    return _result(name, value, pa, pe, variance, n, confidence)


# Chance agreement pe of a raw-ratings coefficient and its per-unit terms pe_i.
_Chance = tuple[str, float, NDArray[np.float64]]


def _mean_shares(raw: _Raw, r_i: Matrix) -> Matrix:
    return _matrix((raw.counts / r_i[:, None]).mean(axis=0))


def _fleiss_chance(raw: _Raw, w: Matrix, r_i: Matrix) -> _Chance:
    pi = _mean_shares(raw, r_i)
    pe = float((w * np.outer(pi, pi)).sum())
    pe_i = raw.counts @ ((w @ pi + w.T @ pi) / 2) / r_i
    return "Fleiss' kappa", pe, pe_i


def _gwet_chance(raw: _Raw, w: Matrix, r_i: Matrix) -> _Chance:
    q = len(raw.categories)
    pi = _mean_shares(raw, r_i)
    scale = w.sum() / (q * (q - 1))
    pe = float(scale * (pi * (1 - pi)).sum())
    pe_i = scale * (raw.counts @ (1 - pi)) / r_i
    return ("Gwet's AC1" if np.allclose(w, np.eye(q)) else "Gwet's AC2"), pe, pe_i


def _bp_chance(raw: _Raw, w: Matrix, r_i: Matrix) -> _Chance:
    pe = float(w.sum() / len(raw.categories) ** 2)
    return "Brennan–Prediger", pe, np.full(raw.n, pe)


def _conger_chance(raw: _Raw, w: Matrix, r_i: Matrix) -> _Chance:
    """Conger's chance agreement (mean of the raters' pairwise Cohen-type terms) and its
    per-unit linearisation (Gwet 2014, §2.4)."""
    n, r = raw.codes.shape
    q = len(raw.categories)
    one_hot = (raw.codes[:, :, None] == np.arange(q)).astype(float)  # n × r × q
    rated = (raw.codes >= 0).astype(float)  # n × r
    per_rater = one_hot.sum(axis=0)  # r × q
    n_g = per_rater.sum(axis=1)  # units each rater rated
    p_gk = per_rater / n_g[:, None]
    p_mean = p_gk.mean(axis=0)
    s2 = (p_gk.T @ p_gk - r * np.outer(p_mean, p_mean)) / (r - 1)
    pe = float((w * (np.outer(p_mean, p_mean) - s2 / r)).sum())
    centred = one_hot - (rated - n_g / n)[:, :, None] * p_gk[None, :, :]  # n × r × q
    lam_k = (n / n_g)[None, :, None] * (centred @ w.T)  # n × r × q, indexed by k
    lam = (lam_k * (r * p_mean[None, None, :] - p_gk[None, :, :])).sum(axis=2)
    return "Conger's kappa", pe, lam.sum(axis=1) / (r * (r - 1))


_RAW_CHANCE: dict[str, Callable[[_Raw, Matrix, Matrix], _Chance]] = {
    "fleiss": _fleiss_chance,
    "conger": _conger_chance,
    "gwet": _gwet_chance,
    "bp": _bp_chance,
}


def _raw_krippendorff(raw: _Raw, w: Matrix, confidence: float) -> Agreement:
    """Gwet's formulation of Krippendorff's α for raw ratings with its standard error."""
    keep = raw.counts.sum(axis=1) >= 2
    counts = raw.counts[keep]
    r_i = counts.sum(axis=1)
    n = int(counts.shape[0])
    r_mean = float(r_i.mean())
    sum_q = (counts * (counts @ w.T - 1)).sum(axis=1)
    epsilon = 1 / r_i.sum()
    pa_prime = float((sum_q / (r_mean * (r_i - 1))).sum() / n)
    pa = (1 - epsilon) * pa_prime + epsilon
    pi = (counts / r_mean).mean(axis=0)
    pe = float((w * np.outer(pi, pi)).sum())
    value = (pa - pe) / (1 - pe)
    value_prime = (pa_prime - pe) / (1 - pe)
    pa_i = sum_q / (r_mean * (r_i - 1)) - pa * (r_i - r_mean) / r_mean
    pe_i = counts @ ((w @ pi + w.T @ pi) / 2) / r_mean - pe * (r_i - r_mean) / r_mean
    value_i = (pa_i - pe) / (1 - pe) - 2 * (1 - value_prime) * (pe_i - pe) / (1 - pe)
    variance = ((value_i - value_prime) ** 2).sum() / (n * (n - 1))
    return _result("Krippendorff's alpha", value, pa, pe, variance, n, confidence)


# --- Krippendorff's alpha at a level of measurement ---------------------------------------------


def krippendorff_alpha(units: Sequence[Sequence[Any]], level: str = "nominal") -> float:
    """α = 1 − D_o / D_e from the coincidence matrix (Krippendorff 2011).

    1. For each unit with m ≥ 2 values, every ordered pair of its values adds 1/(m − 1) to the
       coincidence matrix o_ck; n_c = Σ_k o_ck and n = Σ_c n_c.
    2. δ²_ck by level: nominal [c ≠ k]; ordinal (Σ_{g=c..k} n_g − (n_c + n_k)/2)²;
       interval (c − k)²; ratio ((c − k)/(c + k))².
    3. α = 1 − (n − 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck.
    Rows are units, columns coders; None, '' or NaN are missing.
    """
    raw = _code(units, None)
    coincidence = _coincidence(raw)
    n_c = coincidence.sum(axis=1)
    delta = _delta2(level, np.asarray(_values(raw.categories)), n_c)
    expected = (np.outer(n_c, n_c) * delta).sum()
    if expected == 0:
        raise AgreementError("alpha is undefined when every value is the same")
    return float(1 - (n_c.sum() - 1) * (coincidence * delta).sum() / expected)


def level_weights(units: Sequence[Sequence[Any]], level: str) -> Matrix:
    """Weights 1 − δ²/max δ² of a level of measurement, for `raw_agreement`'s Krippendorff α:
    with them Gwet's formulation gives Krippendorff's α exactly, plus a standard error."""
    raw = _code(units, None)
    delta = _delta2(level, np.asarray(_values(raw.categories)), _coincidence(raw).sum(axis=1))
    return 1 - delta / delta.max() if delta.max() > 0 else np.ones_like(delta)


def _coincidence(raw: _Raw) -> Matrix:
    counts = raw.counts
    m = counts.sum(axis=1)
    pairable = m >= 2
    if not pairable.any():
        raise AgreementError("alpha needs units coded by at least two coders")
    counts, m = counts[pairable], m[pairable]
    scaled = counts / (m - 1)[:, None]
    return _matrix(scaled.T @ counts - np.diag(scaled.sum(axis=0)))


def _delta2(level: str, values: NDArray[np.float64], n_c: NDArray[np.float64]) -> Matrix:
    if level not in LEVELS:
        raise AgreementError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    d = values[:, None] - values[None, :]
    if level == "nominal":
        return _matrix((d != 0).astype(float))
    if level == "interval":
        return d**2
    if level == "ratio":
        total = values[:, None] + values[None, :]
        return np.divide(d, total, out=np.zeros_like(d), where=total != 0) ** 2
    cumulative = np.concatenate([[0.0], np.cumsum(n_c)])  # ordinal: ranks by frequency
    q = len(values)
    lo = np.minimum.outer(np.arange(q), np.arange(q))
    hi = np.maximum.outer(np.arange(q), np.arange(q))
    between = cumulative[hi + 1] - cumulative[lo]
    return _matrix((between - (n_c[:, None] + n_c[None, :]) / 2) ** 2)


# --- benchmark scales --------------------------------------------------------------------------

# (label, lower bound, upper bound), best band first.
BENCHMARK_SCALES: dict[str, tuple[tuple[str, float, float], ...]] = {
    "landis-koch": (
        ("Almost perfect", 0.8, 1.0),
        ("Substantial", 0.6, 0.8),
        ("Moderate", 0.4, 0.6),
        ("Fair", 0.2, 0.4),
        ("Slight", 0.0, 0.2),
        ("Poor", -1.0, 0.0),
    ),
    "altman": (
        ("Very good", 0.8, 1.0),
        ("Good", 0.6, 0.8),
        ("Moderate", 0.4, 0.6),
        ("Fair", 0.2, 0.4),
        ("Poor", -1.0, 0.2),
    ),
    "fleiss": (("Excellent", 0.75, 1.0), ("Intermediate to good", 0.4, 0.75), ("Poor", -1.0, 0.4)),
    "cicchetti-sparrow": (
        ("Excellent", 0.75, 1.0),
        ("Good", 0.6, 0.75),
        ("Fair", 0.4, 0.6),
        ("Poor", 0.0, 0.4),
    ),
    "regier": (
        ("Excellent", 0.8, 1.0),
        ("Very good", 0.6, 0.8),
        ("Good", 0.4, 0.6),
        ("Questionable", 0.2, 0.4),
        ("Unacceptable", 0.0, 0.2),
    ),
}


@dataclass(frozen=True)
class Band:
    label: str
    lower: float
    upper: float
    probability: float
    cumulative: float


def benchmark(
    value: float,
    se: float,
    scale: str | Sequence[tuple[str, float, float]],
) -> list[Band]:
    """Gwet's probabilistic benchmarking (Gwet 2014, §6.4): the probability that the true
    coefficient lies in each band [lb, ub], from a normal with the estimate's SE truncated to
    the coefficient's range [−1, 1]: [Φ((ub − κ)/se) − Φ((lb − κ)/se)] / [Φ((1 − κ)/se) −
    Φ((−1 − κ)/se)], cumulated in the scale's order."""
    bands = BENCHMARK_SCALES[scale] if isinstance(scale, str) else tuple(scale)
    if se <= 0:
        raise AgreementError("benchmarking needs a positive standard error")
    total = stats.norm.cdf((1 - value) / se) - stats.norm.cdf((-1 - value) / se)
    out, cumulative = [], 0.0
    for label, lower, upper in bands:
        p = (stats.norm.cdf((upper - value) / se) - stats.norm.cdf((lower - value) / se)) / total
        cumulative += float(p)
        out.append(Band(label, lower, upper, float(p), min(cumulative, 1.0)))
    return out


def interpret(value: float, se: float, scale: str = "landis-koch", certainty: float = 0.95) -> str:
    """The best band whose cumulative membership probability reaches `certainty`."""
    return next(b.label for b in benchmark(value, se, scale) if b.cumulative >= certainty)


def ordinal_kappa(
    pairs: Sequence[tuple[float, float]] | Mapping[tuple[float, float], int],
    values: Sequence[float],
) -> Agreement | None:
    """Cohen's κ with quadratic weights for (rater A, rater B) pairs on an ordered scale, or
    for each distinct pair and how often it occurs (a Counter of them). `values` are the
    scale's points in order; points nobody used still count, because they set the distances
    the weights use. None when the pairs use a single category (chance-corrected agreement is
    undefined)."""
    counted = pairs if isinstance(pairs, Mapping) else Counter(pairs)
    index = {v: i for i, v in enumerate(values)}
    table = np.zeros((len(values), len(values)))
    for (a, b), count in counted.items():
        table[index[a], index[b]] += count
    try:
        return table_agreement(table, "cohen", weights="quadratic")
    except AgreementError:
        return None


def pairs_table(ratings: Sequence[Sequence[Any]]) -> tuple[Matrix, list[Any]]:
    """Two raters' raw ratings as a q×q table over the units both rated (rows: first rater)."""
    if any(len(row) != 2 for row in ratings):
        raise AgreementError("Cohen's kappa and Scott's pi compare exactly two raters")
    raw = _code(ratings, None)
    both = (raw.codes >= 0).all(axis=1)
    if not both.any():
        raise AgreementError("no unit was rated by both raters")
    q = len(raw.categories)
    table = np.zeros((q, q))
    np.add.at(table, (raw.codes[both, 0], raw.codes[both, 1]), 1)
    return table, raw.categories
