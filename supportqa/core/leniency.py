"""Reviewer leniency and severity from overlapping reviews.

Additive model (Gwet 2014, ch. 9; the two-way layout without interaction):
    score(c, r) = μ_c + β_r + ε,   ε ~ (0, σ²),   Σ_r β_r = 0 within each connected group,
where μ_c is the conversation's true score and β_r the reviewer's offset (positive = lenient).
1. Only conversations with two or more reviews carry information on β; they are kept.
2. Least squares with conversation and reviewer indicators; the sum-to-zero constraint is
   added as an extra equation so the system is of full rank when every reviewer is connected.
3. σ² = RSS / (N − C − R + 1); with M = XᵀX + AᵀA (A the constraint row), the constrained
   estimate is M⁻¹Xᵀy and its covariance σ²·M⁻¹XᵀX M⁻¹ (the constraint spans X's null space);
   t interval on the residual degrees of freedom.
Reviewers who never share a conversation with another get no estimate.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats


@dataclass(frozen=True)
class Offset:
    reviewer: Hashable
    value: float
    se: float
    low: float
    high: float
    reviews: int  # overlapping reviews that informed it


def reviewer_offsets(
    reviews: Sequence[tuple[Hashable, Hashable, float]], confidence: float = 0.95
) -> dict[Hashable, Offset]:
    """reviews: (conversation, reviewer, score). Returns an offset per connected reviewer."""
    conversations, rows = _overlapping(reviews)
    reviewers = sorted({r for _, r, _ in rows}, key=str)
    if len(reviewers) < 2:
        return {}
    n_c = len(conversations)
    x, y = _design(rows, conversations, reviewers)
    coef, covariance = _constrained_least_squares(x, y, n_c)
    df = len(rows) - n_c - len(reviewers) + 1
    sigma2, t = _residual_variance(x, y, coef, df, confidence)
    counts = Counter(r for _, r, _ in rows)
    out = {}
    for j, r in enumerate(reviewers, start=n_c):
        value = float(coef[j])
        se = math.sqrt(max(sigma2 * float(covariance[j, j]), 0.0)) if df > 0 else math.nan
        out[r] = Offset(r, value, se, value - t * se, value + t * se, counts[r])
    return out


def _overlapping(
    reviews: Sequence[tuple[Hashable, Hashable, float]],
) -> tuple[list[Hashable], list[tuple[Hashable, Hashable, float]]]:
    """Step 1: the conversations reviewed by two or more reviewers, and their reviews."""
    by_conversation: dict[Hashable, list[tuple[Hashable, float]]] = defaultdict(list)
    for conversation, reviewer, score in reviews:
        by_conversation[conversation].append((reviewer, score))
    shared = {c: rows for c, rows in by_conversation.items() if len({r for r, _ in rows}) >= 2}
    return list(shared), [(c, r, s) for c, items in shared.items() for r, s in items]


def _design(
    rows: Sequence[tuple[Hashable, Hashable, float]],
    conversations: Sequence[Hashable],
    reviewers: Sequence[Hashable],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Conversation indicators, then reviewer indicators; the scores."""
    c_index = {c: i for i, c in enumerate(conversations)}
    r_index = {r: i for i, r in enumerate(reviewers, start=len(conversations))}
    x = np.zeros((len(rows), len(conversations) + len(reviewers)))
    y = np.empty(len(rows))
    for i, (c, r, s) in enumerate(rows):
        x[i, c_index[c]] = 1.0
        x[i, r_index[r]] = 1.0
        y[i] = s
    return x, y


def _constrained_least_squares(
    x: NDArray[np.float64], y: NDArray[np.float64], n_c: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Steps 2–3: coefficients and their covariance up to σ², reviewer offsets summing to 0."""
    constraint = np.zeros((1, x.shape[1]))
    constraint[0, n_c:] = 1.0
    gram = x.T @ x
    inverse = np.linalg.pinv(gram + constraint.T @ constraint)
    return inverse @ (x.T @ y), inverse @ gram @ inverse


def _residual_variance(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    coef: NDArray[np.float64],
    df: int,
    confidence: float,
) -> tuple[float, float]:
    """σ² and the t quantile of the interval; NaN without residual degrees of freedom."""
    if df <= 0:
        return math.nan, math.nan
    residual = y - x @ coef
    return float(residual @ residual) / df, float(stats.t.ppf(0.5 + confidence / 2, df))
