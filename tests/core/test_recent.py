"""core.recent: the least recently used value is the one dropped."""

from supportqa.core.recent import Recent


def test_the_least_recently_used_is_dropped_first():
    kept: Recent[str, int] = Recent(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # "a" is now the more recent
    kept.put("c", 3)
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)
    assert len(kept) == 2
    kept.clear()
    assert len(kept) == 0 and kept.get("a") is None
