from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import date, datetime
from typing import Any

from django import template
from django.conf import settings
from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import dateformat, timezone
from django.utils.dates import MONTHS_3
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from supportqa.accounts.permissions import CAPABILITIES
from supportqa.core.intervals import EMPTY, Estimate
from supportqa.core.recent import Recent
from supportqa.core.scoring import score_band
from supportqa.rendering import format_html, format_html_join

register = template.Library()

_MENUS: Recent[Hashable, str] = Recent(1024)


@register.simple_tag(takes_context=True)
def main_nav(context: Mapping[str, Any]) -> str:
    """The main menu (includes/_main_nav.html), drawn once per process for each set of the
    person's capabilities, current section and, for people with their own performance page,
    person: every page shows it, and its two dozen links cost a page about a millisecond."""
    can, nav = context["can"], context.get("nav", "")
    flags = {name: getattr(can, name) for name in CAPABILITIES}
    own = context["user"].code if flags["own_performance"] else ""
    key = (tuple(flags.values()), nav, own, get_script_prefix())
    menu = _MENUS.get(key)
    if menu is None:  # drawn from what the key holds, and nothing else
        shown = {"can": flags, "nav": nav, "user": {"code": own}}
        drawn = render_to_string("includes/_main_nav.html", shown)
        menu = mark_safe(drawn.strip())  # noqa: S308 - a template's output, escaped there
        _MENUS.put(key, menu)
    return menu


NO_DATA = mark_safe('<span class="muted">—</span>')  # a figure that is not there


@register.filter
def num(value: Any, digits: Any = 1) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value):.{int(digits)}f}"


@register.filter
def spark(value: Any, values: Any) -> int:
    """A sparkline bar's height in pixels (2–24), relative to the largest of `values`."""
    top = max(values) if values else 0
    return 2 + round(22 * float(value) / top) if top else 2


@register.filter
def band(score: Any, threshold: Any = None) -> str:
    """CSS class of a score's colour band (`core.scoring.score_band`); the threshold is the
    review's scorecard's, or the installation's default pass threshold."""
    limit = settings.SUPPORTQA_PASS_THRESHOLD if threshold in (None, "") else float(threshold)
    return score_band(None if score is None else float(score), limit)


@register.simple_tag
def score_badge(score: Any, threshold: Any = None, critical: Any = False) -> str:
    """A review score (0–100) in its colour band (`band`), the same on every page: a dash
    for no score; `threshold`: the review's scorecard's pass threshold (none: the
    installation's); `critical`: a critical criterion failed, said beside the score. (A
    tag, not an included template: the conversation list shows fifty.)"""
    if score in (None, ""):  # "": a variable the page does not have
        return NO_DATA
    badge = format_html(
        '<span class="score {}">{}%</span>', band(score, threshold or None), num(score)
    )
    if critical:
        return format_html('{} <span class="badge critical">critical fail</span>', badge)
    return badge


@register.simple_tag
def review_item(r: Any, until: Any = None) -> str:
    """One review in a list (the homes, the agent page): its score, its conversation, its
    source, reviewer and day; `until`: the last day it can be disputed. (A tag, not an
    included template: the agent page lists twenty.)"""
    conversation = r.conversation
    who = f" · {r.reviewer.name}" if r.reviewer and r.source != "autoqa" else ""
    dispute = f" · dispute until {_day(until)}" if until else ""
    return format_html(
        '<li>\n  {}\n  <a href="{}">{}</a>\n  <span class="muted small">{}{} · {}{}</span>\n</li>',
        score_badge(r.final_score, r.scorecard_version.pass_threshold, r.critical_failed),
        reverse("review-detail", args=[r.code]),
        Truncator(conversation.subject or conversation.external_id).chars(50),
        r.get_source_display(),
        who,
        _day(r.submitted_at),
        dispute,
    )


@register.simple_tag
def conversation_row(c: Any, hides_colleagues_scores: Any, viewer_id: Any) -> str:
    """One row of the conversation list: created, subject (a link), agent, team, channel,
    category, messages, the latest CSAT and the mean score of the reviews the viewer may open;
    `hides_colleagues_scores`: an agent's list, where a colleague's conversation without a
    score may well have been reviewed. (A tag, not template markup: the list shows fifty.)"""
    if c.score is not None:
        score = score_badge(c.score)
    elif hides_colleagues_scores and c.agent_id != viewer_id:
        score = mark_safe(
            '<span class="muted" title="Scores of colleagues\' conversations are not shown to '
            'you">—</span>'
        )
    else:
        score = mark_safe('<span class="muted">not reviewed</span>')
    return format_html(
        '<tr>\n  <td class="nowrap">{}</td>\n  <td><a href="{}">{}</a></td>\n  <td>{}</td>\n'
        '  <td>{}</td>\n  <td><span class="chip chip-{}">{}</span></td>\n  <td>{}</td>\n'
        '  <td class="num">{}</td>\n  <td class="num">{}</td>\n  <td class="num">{}</td>\n</tr>',
        _date_time(c.created_at),
        _conversation_url(c.code),
        _shortened(c.subject or c.external_id, 70),
        (c.agent.name if c.agent else "") or "—",
        (c.team.name if c.team else "") or "—",
        c.channel,
        c.get_channel_display(),
        (c.category.name if c.category else "") or "—",
        localize(c.message_count),
        localize(c.csat) if c.csat else NO_DATA,
        score,
    )


@register.simple_tag
def transcript_line(line: Any, flags: Any, marked: Any, citing: Any) -> str:
    """One message of a conversation page's transcript (conversations.transcript.Line): the
    gap before it when a minute or more, its author, kind, time, number and customer mood,
    AutoQA's flags on it (`flags`: seq → findings), its text with AutoQA's evidence marked
    (`marked`: seq → HTML) and, while `citing` (a review form is open), its Cite button.
    (A tag, not template markup: a conversation shows every message.)"""
    message = line.message
    seq = message.seq
    gap = ""
    if line.gap_seconds and line.gap_seconds >= 60:
        gap = format_html(
            '<li class="gap{}" aria-label="gap">{} later{}</li>\n      ',
            " slow" if line.waited else "",
            duration(line.gap_seconds),
            " — customer waited too long" if line.waited else "",
        )
    kind = message.get_author_kind_display()
    sent = timezone.localtime(message.sent_at)
    mood = (
        format_html(
            '<span class="mood mood-{}" title="Sentiment {} (VADER)">{}</span>',
            line.mood,
            signed(line.sentiment),
            line.mood,
        )
        if line.mood
        else ""
    )
    badges = format_html_join(
        "",
        '<span class="badge outcome-{}" title="AutoQA: {}">{}</span>',
        (
            (f.outcome.replace("/", ""), f.explanation, f.label)
            for f in (flags.get(seq) if flags else None) or ()
        ),
    )
    cite = (
        format_html(
            '<button type="button" class="cite" data-seq="{}" aria-describedby="evidence-hint">'
            "Cite</button>",
            seq,
        )
        if citing
        else ""
    )
    text = (marked.get(seq) if marked else None) or linebreaksbr(message.text)
    return format_html(
        '{}<li class="msg msg-{}" data-seq="{}" id="m{}">\n        <div class="msg-head">'
        '<strong>{}</strong>\n          <span class="muted">{} · <time datetime="{}">{}</time> · '
        "#{}</span>\n          {}\n          {}\n          {}\n        </div>\n"
        '        <div class="msg-text">{}</div>\n      </li>',
        gap,
        message.author_kind,
        seq,
        seq,
        (message.author.name if message.author else "") or message.author_name or kind,
        kind,
        dateformat.format(sent, "c"),
        dateformat.format(sent, "d M H:i:s"),
        seq + 1,
        mood,
        badges,
        cite,
        text,
    )


@register.simple_tag
def criterion_fields(row: Mapping[str, Any], errors: Any, evidence: Any) -> str:
    """One criterion of a review form as its fieldset (reviews.forms.review_form_context's
    row): its options, N/A where allowed, root causes, comment and, with `evidence`, the
    cited messages. (A tag, not template markup: a scorecard has a dozen criteria.)"""
    criterion, selected = row["criterion"], row["selected"]
    code = criterion.code
    critical = (
        mark_safe(
            ' <span class="badge critical" title="A rating below 50% sets the review score to'
            ' 0">critical</span>'
        )
        if criterion.critical
        else ""
    )
    about = (
        format_html('<p class="muted">{}</p>', criterion.description)
        if criterion.description
        else ""
    )
    options = format_html_join(
        "\n        ",
        '<label class="option"><input type="radio" name="rating-{}" value="{}" {}>\n'
        "            <span><strong>{}</strong>{}</span></label>",
        (
            (
                code,
                position,
                "checked" if selected == position else "",
                option.label,
                format_html("<br><small>{}</small>", option.description)
                if option.description
                else "",
            )
            for position, option in row["options"]
        ),
    )
    not_applicable = (
        format_html(
            '<label class="option na"><input type="radio" name="rating-{}" value="na" {}>'
            "<span><strong>N/A</strong><br><small>Does not apply to this conversation</small>"
            "</span></label>",
            code,
            "checked" if selected == "na" else "",
        )
        if criterion.allow_na
        else ""
    )
    causes = (
        format_html(
            "<details {}><summary>Root causes</summary>\n          {}\n        </details>",
            "open" if selected else "",
            format_html_join(
                "",
                '<label class="check"><input type="checkbox" name="cause-{}" value="{}" {}> '
                "{}</label>",
                (
                    (code, position, "checked" if checked else "", cause.label)
                    for position, cause, checked in row["causes"]
                ),
            ),
        )
        if row["causes"]
        else ""
    )
    cited = (
        format_html(
            '<input type="hidden" name="evidence-{}" value="{}">\n        <p class="evidence '
            'small">Evidence: <span class="evidence-list">{}</span></p>',
            code,
            row["evidence"],
            message_numbers(row["evidence"]) or "none",
        )
        if evidence
        else ""
    )
    return format_html(
        '<fieldset class="criterion{}" data-code="{}">\n        <legend>{}{}</legend>\n'
        '        {}\n        <div class="options">\n        {}\n        {}\n        </div>\n'
        '        {}\n        <label class="small" for="comment-{}">Comment</label>\n'
        '        <textarea id="comment-{}" name="comment-{}" rows="2">{}</textarea>\n'
        "        {}\n      </fieldset>",
        " invalid" if errors and code in errors else "",
        code,
        criterion.name,
        critical,
        about,
        options,
        not_applicable,
        causes,
        code,
        code,
        code,
        row["comment"],
        cited,
    )


def _date_time(moment: datetime) -> str:
    """The `date:"d M Y H:i"` filter's "05 Mar 2026 14:07", in the local time."""
    local = timezone.localtime(moment)
    month = MONTHS_3[local.month].title()
    return f"{local.day:02d} {month} {local.year:04d} {local.hour:02d}:{local.minute:02d}"


_URL_AROUND_CODE: dict[str, tuple[str, str]] = {}


def _conversation_url(code: str) -> str:
    """`reverse("conversation-detail", args=[code])` for a code of letters and digits (which
    reverse leaves as they are), the pattern resolved once per script prefix."""
    prefix = get_script_prefix()
    around = _URL_AROUND_CODE.get(prefix)
    if around is None:
        head, _, tail = reverse("conversation-detail", args=["0"]).rpartition("0")
        around = _URL_AROUND_CODE[prefix] = (head, tail)
    return (
        f"{around[0]}{code}{around[1]}"
        if code.isascii() and code.isalnum()
        else reverse("conversation-detail", args=[code])
    )


def _shortened(text: str, length: int) -> str:
    """`Truncator(text).chars(length)`, at once for ASCII text already short enough."""
    if len(text) <= length and text.isascii():
        return text
    return Truncator(text).chars(length)


def _day(moment: date | datetime | None) -> str:
    """The `date:"d M"` filter's "05 Mar" (a moment in the local time); nothing for none."""
    if not moment:
        return ""
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment)
    return dateformat.format(moment, "d M")


@register.filter
def duration(seconds: Any) -> str:
    if seconds is None:
        return "—"
    seconds = float(seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@register.filter
def message_numbers(seqs: str) -> str:
    """Message positions as people count them: "0,2" (stored from 0) → "#1, #3", as the
    transcript numbers messages and AutoQA's explanations name them."""
    return ", ".join(f"#{int(s) + 1}" for s in seqs.split(",") if s.strip().isdigit())


@register.filter
def minutes(delta: Any) -> int:
    """A timedelta in whole minutes, rounded up."""
    return -int(-delta.total_seconds() // 60)


def clamp(value: Any) -> float:
    return 0.0 if value is None else max(0.0, min(100.0, float(value)))


def ci_width(estimate: Estimate) -> float:
    if estimate.low is None or estimate.high is None:
        return 0.0
    return clamp(estimate.high) - clamp(estimate.low)


@register.simple_tag
def interval(est: Any, digits: Any, unit: Any = "", form: Any = "inline", count: Any = None) -> str:
    """A figure and its 95% interval, drawn the same way on every page (a tag, not an
    included template: tables draw one per row).

      est     has value, low, high, n (core.intervals.Estimate, core.agreement.Agreement,
              core.leniency.Offset);  digits: decimals;  unit: "%" or nothing
      form    "inline" (default)  value, then muted: (95% CI low–high, n=…)
              "range"             95% CI low–high · n=…   (a KPI tile's second line)
              "bar"               a bar on the 0–100 scale, then low–high within it (a
                                  table's interval column)
      count   what the sample is called instead of n=… ("of 12 reviews"); False: not shown
    """
    est = _figure(est)
    if form == "bar":
        return _bar(est, digits, unit)
    if est.low is None:
        spread = "interval needs n ≥ 2"
    else:
        spread = format_html("95% CI {}", interval_range(est, digits, unit))
    sample = "" if count is False else (count or f"n={est.n}")
    if form == "range":
        return format_html("{}{}", spread, format_html(" · {}", sample) if sample else "")
    return format_html(
        '{}{} <span class="muted small">({}{})</span>',
        num(est.value, digits),
        unit,
        spread,
        format_html(", {}", sample) if sample else "",
    )


@register.simple_tag
def interval_range(est: Any, digits: Any, unit: Any = "") -> str:
    """An interval's two ends: "72–88%"; one that reaches below zero reads "−2.0 to 1.5",
    never "−2.0–1.5"."""
    est = _figure(est)
    low = est.low
    joint = " to " if low is not None and low < 0 else "–"
    return format_html("{}{}{}{}", num(low, digits), joint, num(est.high, digits), unit)


def _figure(est: Any) -> Any:
    """The figure to draw: no data for None or a variable the page lacks (""); a figure kept
    as JSON (a mapping: value, and low and high or ci_low and ci_high, as a learned model's
    stored κ) read by its keys, as the template engine reads a mapping."""
    if not est:
        return EMPTY
    if isinstance(est, Mapping):
        low, high = est.get("low", est.get("ci_low")), est.get("high", est.get("ci_high"))
        return Estimate(est.get("value"), est.get("n", 0), low, high)
    return est


def _bar(est: Any, digits: Any, unit: Any) -> str:
    if est.low is None:
        return mark_safe('<span class="muted">needs n ≥ 2</span>')
    return format_html(
        '<span class="ci-bar" aria-hidden="true"><span style="left:{}%;width:{}%"></span>'
        '<i style="left:{}%"></i></span> {}–{}{}',
        localize(clamp(est.low)),
        localize(ci_width(est)),
        localize(clamp(est.value)),
        num(clamp(est.low), digits),
        num(clamp(est.high), digits),
        unit,
    )


@register.simple_tag
def comparison(c: Any) -> str:
    """An agent's IQS against the average (core.appraisal.compare): above, below, or
    insufficient data with how many more reviews would settle it."""
    label = c.label if c else ""
    if label == "above":
        return mark_safe('<span class="score good">above average</span>')
    if label == "below":
        return mark_safe('<span class="score bad">below average</span>')
    more = c.more_reviews if c else None
    if not more:
        return mark_safe('<span class="muted small">insufficient data</span>')
    return format_html(
        '<span class="muted small">insufficient data — about {} more review{} would settle it'
        "</span>",
        more,
        "" if more == 1 else "s",
    )


@register.filter
def pct(value: Any) -> str:
    """A 0–1 share as a whole percentage."""
    return "—" if value is None else f"{float(value) * 100:.0f}"


@register.filter
def div(numerator: Any, denominator: Any) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return None if mapping is None else mapping.get(key)


@register.filter
def signed(value: Any) -> str:
    return "—" if value is None else f"{float(value):+.2f}"


@register.filter
def typed(value: Any) -> str:
    """A number as a person would type it (80, 0.5), anything else as it was typed."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return "" if value is None else str(value)


@register.simple_tag
def invalid(error_field: str, *parts: Any) -> str:
    """` aria-invalid="true"` on the builder field an error is about (its name: the parts)."""
    name = "".join(str(p) for p in parts)
    return mark_safe(' aria-invalid="true"') if error_field and error_field == name else ""


@register.simple_tag
def field_error(error_field: str, reason: str, *parts: Any) -> str:
    """The reason of a builder error, beside the field (or part) it is about."""
    name = "".join(str(p) for p in parts)
    if not error_field or error_field != name:
        return ""
    return format_html('<small class="error" id="{}-error">{}</small>', name, reason)
