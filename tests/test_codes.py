from __future__ import annotations

from collections import Counter

from scipy.stats import chisquare

from supportqa.codes import _ALPHABET, new_code


def test_codes_have_the_length_and_alphabet():
    codes = [new_code() for _ in range(2000)]
    assert all(len(c) == 12 and set(c) <= set(_ALPHABET) for c in codes)
    assert len(set(codes)) == len(codes)
    assert len(new_code(40)) == 40


def test_every_character_is_equally_likely():
    """Chi-square goodness of fit over 600,000 characters. Mapping every random byte with
    `b % 31` would favour the first 8 characters by 1/32 and give a p-value near 0."""
    counts = Counter("".join(new_code() for _ in range(50_000)))
    assert chisquare([counts[c] for c in _ALPHABET]).pvalue > 1e-4
