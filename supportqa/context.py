from __future__ import annotations

from django.http import HttpRequest

SECTIONS = {
    "conversation": "conversations",
    "review": "conversations",
    "agent": "agents",
    "team": "teams",
    "cause": "causes",
    "staffing": "staffing",
    "topics": "topics",
    "reviewer": "reviewers",
    "calibration": "calibration",
    "queue": "queue",
    "scorecard": "scorecards",
    "cycle": "queue",
    "import": "import",
}


def navigation(request: HttpRequest) -> dict[str, str]:
    """Which top-level section the current page belongs to (highlighted in the menu)."""
    match = getattr(request, "resolver_match", None)
    name = (match.url_name or "") if match else ""
    return {"nav": SECTIONS.get(name.split("-")[0], "")}
