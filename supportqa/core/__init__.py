"""Django-free domain computations: score math, KPI formulas, intervals, redaction.

Nothing in this package may import Django; `tests/core/test_isolation.py` checks it.
"""
