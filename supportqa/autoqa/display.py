"""AutoQA on the conversation page: the findings and the evidence marked in the transcript."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from supportqa.autoqa.models import Finding
from supportqa.conversations.models import Conversation
from supportqa.reviews.models import Review, Source
from supportqa.statements import ID, READS

if TYPE_CHECKING:
    from supportqa.reviews.workspace import ReadReviews


def autoqa_review(read: ReadReviews) -> Review | None:
    """The conversation's AutoQA review, if it is among the reviews the person may see."""
    found = read(
        "autoqa review",
        lambda reviews: reviews.filter(source=Source.AUTOQA).select_related(
            "scorecard_version__scorecard"
        )[:1],
    )
    return found[0] if found else None


def findings_of(review: Review) -> list[Finding]:
    """An AutoQA review's findings, by a statement compiled once per process (as a prefetch
    of the review's read, Django compiled it on every conversation page)."""
    return READS.read(
        "autoqa findings",
        lambda slots: Finding.objects.filter(review=slots("review", ID)),
        review=review.pk,
    )


def marked_texts(
    findings: list[Finding], texts: dict[int, str]
) -> tuple[dict[int, SafeString], dict[int, list[Finding]]]:
    """Message seq → its text as HTML with each evidence span in a <mark> naming its
    detector (overlapping spans keep the first), and message seq → the findings that cite the
    whole message (shown as flags on it, not as a highlight)."""
    spans: dict[int, list[tuple[int, int, Finding]]] = {}
    flags: dict[int, list[Finding]] = {}
    for finding in findings:
        for e in finding.evidence:
            whole = e["start"] == 0 and e["end"] >= len(texts.get(e["seq"], ""))
            if whole or e["end"] <= e["start"]:
                if finding not in flags.setdefault(e["seq"], []):
                    flags[e["seq"]].append(finding)
            else:
                spans.setdefault(e["seq"], []).append((e["start"], e["end"], finding))
    out = {seq: _marked(texts[seq], found) for seq, found in spans.items() if seq in texts}
    return out, flags


def _marked(text: str, spans: list[tuple[int, int, Finding]]) -> SafeString:
    """The text as HTML with each span in a <mark>; a span overlapping an earlier one or
    running past the end is left out."""
    parts: list[str] = []
    position = 0
    for start, end, finding in sorted(spans, key=lambda s: (s[0], s[1])):
        if start < position or end > len(text):
            continue
        parts.append(escape(text[position:start]))
        parts.append(
            f'<mark class="aq aq-{finding.outcome}" data-detector="{finding.detector}" '
            f'title="AutoQA: {escape(finding.label)} ({finding.outcome})">'
            f"{escape(text[start:end])}</mark>"
        )
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts).replace("\n", "<br>"))  # noqa: S308 - escaped above


def panel(conversation: Conversation, lines: list[Any], read: ReadReviews) -> dict[str, Any]:
    review = autoqa_review(read)
    if review is None:
        return {"autoqa": None, "marked": {}, "flags": {}}
    findings = findings_of(review)
    texts = {line.message.seq: line.message.text for line in lines}
    marked, flags = marked_texts(findings, texts)
    return {
        "autoqa": review,
        "autoqa_findings": sorted(findings, key=lambda f: (f.score is None, f.score or 0)),
        "marked": marked,
        "flags": flags,
    }
