"""Krippendorff's alpha benchmark: SupportQA's core against the `krippendorff` package.

    .venv/bin/pip install -e ".[bench]"     # installs krippendorff from PyPI
    .venv/bin/python bench/agreement.py [--units 10000] [--raters 20] [--missing 0.1]

Ordinal alpha on a units × raters matrix of 1–5 ratings with missing cells, computed by both
in the same run; prints both values, their difference and the best of several timings.
Target (issue #4): equal to 1e-9 and at least as fast.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from supportqa.core.agreement import krippendorff_alpha  # noqa: E402


def best_of(repeat: int, function, *args, **kwargs) -> tuple[float, float]:
    timings, value = [], 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        value = function(*args, **kwargs)
        timings.append(time.perf_counter() - started)
    return value, min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--raters", type=int, default=20)
    parser.add_argument("--missing", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    try:
        import krippendorff
    except ImportError:
        sys.exit("install the reference package first: .venv/bin/pip install -e '.[bench]'")
    rng = np.random.default_rng(11)
    truth = rng.integers(1, 6, size=(args.units, 1))
    noise = rng.integers(-1, 2, size=(args.units, args.raters))
    ratings = np.clip(truth + noise * (rng.random((args.units, args.raters)) < 0.4), 1, 5)
    ratings = ratings.astype(float)
    ratings[rng.random(ratings.shape) < args.missing] = np.nan
    ours, ours_seconds = best_of(args.repeat, krippendorff_alpha, ratings, "ordinal")
    theirs, their_seconds = best_of(
        args.repeat,
        krippendorff.alpha,
        reliability_data=ratings.T,
        level_of_measurement="ordinal",
    )
    print(
        f"\nKrippendorff's alpha, ordinal: {args.units:,} units × {args.raters} raters, "
        f"{args.missing:.0%} missing (best of {args.repeat})"
    )
    print(f"{'':28}{'alpha':>16}{'seconds':>10}{'vs reference':>14}")
    print(f"{'krippendorff (PyPI)':28}{theirs:16.12f}{their_seconds:10.4f}{'1.00x':>14}")
    print(
        f"{'SupportQA core':28}{ours:16.12f}{ours_seconds:10.4f}"
        f"{their_seconds / ours_seconds:13.2f}x"
    )
    print(f"\n|difference| = {abs(ours - theirs):.2e} (target < 1e-9)")


if __name__ == "__main__":
    main()
