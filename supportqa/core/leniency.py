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
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
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
    by_conversation: dict[Hashable, list[tuple[Hashable, float]]] = defaultdict(list)
    for conversation, reviewer, score in reviews:
        by_conversation[conversation].append((reviewer, score))
    shared = {c: rows for c, rows in by_conversation.items() if len({r for r, _ in rows}) >= 2}
    rows = [(c, r, s) for c, items in shared.items() for r, s in items]
    reviewers = sorted({r for _, r, _ in rows}, key=str)
    if len(reviewers) < 2:
        return {}
    conversations = list(shared)
    c_index = {c: i for i, c in enumerate(conversations)}
    r_index = {r: i for i, r in enumerate(reviewers)}
    n, n_c, n_r = len(rows), len(conversations), len(reviewers)
    x = np.zeros((n, n_c + n_r))
    y = np.empty(n)
    for i, (c, r, s) in enumerate(rows):
        x[i, c_index[c]] = 1.0
        x[i, n_c + r_index[r]] = 1.0
        y[i] = s
    constraint = np.zeros((1, n_c + n_r))
    constraint[0, n_c:] = 1.0
    gram = x.T @ x
    inverse = np.linalg.pinv(gram + constraint.T @ constraint)
    coef = inverse @ (x.T @ y)
    covariance = inverse @ gram @ inverse
    residual = y - x @ coef
    df = n - n_c - n_r + 1
    sigma2 = float(residual @ residual) / df if df > 0 else float("nan")
    t = float(stats.t.ppf(0.5 + confidence / 2, df)) if df > 0 else float("nan")
    counts: dict[Hashable, int] = defaultdict(int)
    for _, r, _ in rows:
        counts[r] += 1
    out = {}
    for r, j in r_index.items():
        value = float(coef[n_c + j])
        se = (
            math.sqrt(max(sigma2 * float(covariance[n_c + j, n_c + j]), 0.0))
            if df > 0
            else math.nan
        )
        out[r] = Offset(r, value, se, value - t * se, value + t * se, counts[r])
    return out
