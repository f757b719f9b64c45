"""What a step recorded, in words for its page: "first reply after 67 min; replies 5"."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateparse import parse_datetime

from supportqa.reports.templatetags.sqa import duration

# Key → how it is named ("" shows the value alone); keys not listed are not shown.
LABELS = {
    "reason": "",
    "missing": "missing",
    "needs_clarification": "",
    "messages": "messages",
    "urgency": "urgency",
    "complexity": "complexity",
    "channel": "channel",
    "category": "category",
    "suggested": "suggested",
    "confidence": "",
    "secondary": "further topics",
    "how": "",
    "representative": "representative",
    "reassigned": "reassigned",
    "received_at": "received",
    "subject": "subject",
    "customer": "customer",
    "choice": "answer",
    "decision": "",
    "replied_at": "replied",
    "source": "in",
    "message": "message",
    "check_score": "response check",
    "checked_by": "by",
    "autoqa_score": "AutoQA had",
    "acknowledged_at": "acknowledged",
    "first_reply_at": "first reply",
    "first_reply_seconds": "first reply after",
    "replies": "replies",
    "csat": "CSAT",
    "nps": "NPS",
    "archive_record": "archive record",
    "period": "in the management report of",
    "actions": "improvement actions",
}


def _value(key: str, value: Any) -> str:
    if key == "needs_clarification":
        return "needs clarification" if value else ""
    if key in ("urgency", "complexity") and isinstance(value, dict):
        reasons = ", ".join(value.get("reasons", [])) or "no sign"
        return f"{value.get('level')} ({value.get('score')}: {reasons})"
    if key == "reassigned":
        return "; ".join(f"to {c['to']} by {c['by']} (“{c['reason']}”)" for c in value)
    if key in ("check_score", "autoqa_score"):
        return "" if value is None else f"{float(value):.1f}%"
    if key == "confidence":
        return "" if value is None else f"{float(value) * 100:.0f}% sure"
    if key == "first_reply_seconds":
        return duration(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and key.endswith("_at"):
        moment = parse_datetime(value)
        if moment is not None:
            return date_format(timezone.localtime(moment), "d M Y H:i")
    return "" if value is None else str(value)


def in_words(data: dict[str, Any]) -> str:
    parts = []
    for key, label in LABELS.items():
        if key not in data:
            continue
        shown = _value(key, data[key])
        if shown:
            parts.append(f"{label} {shown}" if label else shown)
    return "; ".join(parts)
