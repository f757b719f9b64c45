"""The layout: dependencies between apps point one way (no import cycle, whether the import sits
at the top of a module or inside a function), in the order README's "Development" lists."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from datetime import UTC
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "supportqa"
# Lower layers first: an app may import the apps listed before it, never those after it.
LAYERS = [
    "audit",
    "accounts",
    "notifications",
    "conversations",
    "surveys",
    "scorecards",
    "reviews",
    "integrations",
    "assignments",
    "reports",
    "calibration",
    "autoqa",
    "workflow",
    "coaching",
    "shopping",
    "social",
    "privacy",
    "api",
    "home",
    "demo",
    "server",
]


def app_imports() -> dict[str, dict[str, list[str]]]:
    """app → {imported app: [files]}, from every import statement anywhere in the app."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        if len(parts) < 2 or parts[0] not in LAYERS or "migrations" in parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                pieces = name.split(".")
                app = pieces[1] if pieces[0] == "supportqa" and len(pieces) > 1 else ""
                if app in LAYERS and app != parts[0]:
                    graph[parts[0]][app].append(str(path.relative_to(PACKAGE)))
    return graph


def test_the_readme_lists_the_layers_in_this_order():
    readme = (PACKAGE.parent / "README.md").read_text()
    bullet = readme.split("- Apps, lowest layer first", 1)[1].split("\n- ", 1)[0]
    named = re.findall(r"`(\w+)`", bullet)
    assert [name for name in named if name in LAYERS] == LAYERS


def test_every_app_has_a_layer():
    apps = {
        p.name for p in PACKAGE.iterdir() if (p / "apps.py").exists() and p.name != "__pycache__"
    }
    assert apps == set(LAYERS)


def test_apps_import_only_the_layers_below_them():
    upward = [
        f"{app} imports {other} ({', '.join(sorted(set(files)))})"
        for app, imported in app_imports().items()
        for other, files in imported.items()
        if LAYERS.index(other) > LAYERS.index(app)
    ]
    assert upward == []


def test_the_core_imports_no_app():
    for path in (PACKAGE / "core").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("supportqa.") or node.module.startswith(
                    "supportqa.core"
                ), f"{path}: {node.module}"


# What only the partials in templates/includes/_*.html draw, and the interval, score_badge
# and comparison tags: an interval, a KPI tile, a review score in its band, an empty list,
# an agent against the average. A page that draws one by hand would look different.
DRAWN_BY_PARTIALS = {
    "ci-bar": "{% interval %}",
    "above average": "{% comparison %}",
    ".low|": "{% interval %}",
    ".high|": "{% interval %}",
    "ci_low": "{% interval %}",
    "kpi-value": "includes/_kpi_tile.html",
    'class="score {{': "{% score_badge %}",
    'class="empty"': "includes/_empty.html",
}


def test_figures_are_drawn_by_the_partials():
    templates = PACKAGE / "templates"
    found = [
        f"{path.relative_to(templates)}: {marker} (use {partial})"
        for path in sorted(templates.rglob("*.html"))
        if not (path.parent.name == "includes" and path.name.startswith("_"))
        for marker, partial in DRAWN_BY_PARTIALS.items()
        if marker in path.read_text()
    ]
    assert found == []


def test_the_score_badge_draws_the_band_the_threshold_and_a_critical_fail():
    from django.template import Context, Template

    badge = Template("{% load sqa %}{% score_badge score threshold critical %}")
    assert badge.render(Context({"score": None})) == '<span class="muted">—</span>'
    assert badge.render(Context({})) == '<span class="muted">—</span>'  # no such variable
    passing = badge.render(Context({"score": 85.25, "threshold": 80, "critical": False}))
    assert passing == '<span class="score good">85.2%</span>'
    # The same score under a stricter scorecard, and with a critical criterion failed.
    strict = badge.render(Context({"score": 85.25, "threshold": 90, "critical": True}))
    assert strict.startswith('<span class="score mid">85.2%</span>')
    assert strict.endswith(' <span class="badge critical">critical fail</span>')


def test_the_interval_and_the_comparison_tags():
    """Every page draws an interval with {% interval %} (inline, range and bar forms) and an
    agent against the average with {% comparison %}."""
    from django.template import Context, Template

    from supportqa.core.appraisal import Comparison
    from supportqa.core.intervals import Estimate

    def drawn(arguments, est):
        return Template("{% load sqa %}{% interval " + arguments + " %}").render(
            Context({"est": est, "name": "<b>"})
        )

    wide = Estimate(80.0, 12, 72.5, 104.0)
    assert drawn("est 0 form='bar'", wide) == (
        '<span class="ci-bar" aria-hidden="true"><span style="left:72.5%;width:27.5%"></span>'
        '<i style="left:80.0%"></i></span> 72–100'
    )
    assert drawn("est 0 form='bar'", Estimate(80.0, 1)) == '<span class="muted">needs n ≥ 2</span>'
    assert drawn("est 1 '%'", wide) == (
        '80.0% <span class="muted small">(95% CI 72.5–104.0%, n=12)</span>'
    )
    assert drawn("est=est digits=1 count=False", Estimate(80.0, 1)) == (
        '80.0 <span class="muted small">(interval needs n ≥ 2)</span>'
    )
    assert drawn("est 1 form='range' count='of 12 reviews'", wide) == (
        "95% CI 72.5–104.0 · of 12 reviews"
    )
    offset = Estimate(-0.5, 30, -2.25, 1.25)  # reaching below zero: "to", not a dash
    assert drawn("est 2 form='range' count=False", offset) == "95% CI -2.25 to 1.25"
    escaped = drawn("est 0 form='range' count=name", wide)
    assert escaped.endswith("&lt;b&gt;")
    # A figure the page lacks (None, or no such variable) reads as no data, not an error.
    assert drawn("missing 1", None) == (
        '— <span class="muted small">(interval needs n ≥ 2, n=0)</span>'
    )
    assert drawn("est 0 form='bar'", None) == '<span class="muted">needs n ≥ 2</span>'
    # A figure kept as JSON, as a learned model's stored κ (the AutoQA page).
    stored = {"value": 0.614, "ci_low": 0.5, "ci_high": 0.7, "se": 0.05}
    assert drawn("est=est digits=2 count=False", stored) == (
        '0.61 <span class="muted small">(95% CI 0.50–0.70)</span>'
    )
    # Tiny bounds are written as the template engine writes numbers, never as 1e-17.
    assert "e-" not in drawn("est 0 form='bar'", Estimate(1e-9, 3, 8.673617379884035e-17, 5.0))
    ends = Template("{% load sqa %}{% interval_range est 1 '%' %}|{% interval_range none 1 %}")
    assert ends.render(Context({"est": wide})) == "72.5–104.0%|—–—"
    compared = Template("{% load sqa %}{% comparison c %}")
    assert compared.render(Context({})) == '<span class="muted small">insufficient data</span>'

    assert compared.render(Context({"c": Comparison("above")})) == (
        '<span class="score good">above average</span>'
    )
    assert "below average" in compared.render(Context({"c": Comparison("below")}))
    assert compared.render(Context({"c": Comparison("insufficient data", 1)})).endswith(
        "about 1 more review would settle it</span>"
    )
    assert "13 more reviews" in compared.render(Context({"c": Comparison("insufficient data", 13)}))


def test_a_review_item_says_score_conversation_source_reviewer_and_days(cast):
    """{% review_item %}: one review in the homes' and the agent page's lists."""
    from datetime import date

    from django.template import Context, Template
    from django.utils import timezone

    from tests.conftest import submitted_review

    review = submitted_review(cast.conversation, cast.qa, position=0)
    item = Template("{% load sqa %}{% review_item r until %}")
    drawn = item.render(Context({"r": review, "until": date(2026, 3, 5)}))
    day = timezone.localtime(review.submitted_at).strftime("%d %b")
    assert drawn.startswith('<li>\n  <span class="score ')
    assert f'<a href="/reviews/{review.code}/">' in drawn
    assert f"{cast.conversation.subject[:49]}" in drawn
    assert f"QA · {cast.qa.name} · {day} · dispute until 05 Mar</span>" in drawn
    review.conversation.subject = "<script>" + "x" * 60
    escaped = item.render(Context({"r": review}))
    assert "&lt;script&gt;" in escaped and "<script>" not in escaped and "…</a>" in escaped
    assert "dispute until" not in escaped


def test_a_conversation_row_says_its_columns_and_hides_a_colleagues_score(cast):
    """{% conversation_row %}: one row of the conversation list (the page's rows come from
    `ConversationFilter.listing`, which adds the latest CSAT and the mean score)."""
    from django.template import Context, Template
    from django.utils import timezone

    row = Template("{% load sqa %}{% conversation_row c hides viewer %}")
    c = cast.conversation
    c.csat, c.score = 4, 87.5
    drawn = row.render(Context({"c": c, "hides": False, "viewer": cast.qa.pk}))
    created = timezone.localtime(c.created_at).strftime("%d %b %Y %H:%M")
    assert drawn.startswith(f'<tr>\n  <td class="nowrap">{created}</td>')
    assert f'<a href="/conversations/{c.code}/">{c.subject}</a>' in drawn
    assert f"<td>{cast.agent.name}</td>" in drawn and "<td>Team A</td>" in drawn
    assert '<span class="chip chip-chat">Chat</span>' in drawn
    assert f"<td>{c.category.name}</td>" in drawn
    assert '<td class="num">4</td>' in drawn and "87.5%</span></td>" in drawn
    c.csat, c.score, c.category = None, None, None
    unscored = row.render(Context({"c": c, "hides": False, "viewer": cast.qa.pk}))
    assert '<span class="muted">—</span></td>' in unscored and "not reviewed" in unscored
    assert "<td>—</td>" in unscored
    hidden = row.render(Context({"c": c, "hides": True, "viewer": cast.teammate.pk}))
    assert "not shown to you" in hidden and "not reviewed" not in hidden
    own = row.render(Context({"c": c, "hides": True, "viewer": cast.agent.pk}))
    assert "not reviewed" in own
    c.subject = "<b>" + "x" * 80
    escaped = row.render(Context({"c": c, "hides": False, "viewer": cast.qa.pk}))
    assert "&lt;b&gt;" in escaped and "<b>" not in escaped and "…</a>" in escaped


def test_a_transcript_line_says_its_message_gap_mood_flags_and_cite_button(cast):
    """{% transcript_line %}: one message of a conversation page's transcript."""
    from types import SimpleNamespace

    from django.template import Context, Template
    from django.utils import timezone
    from django.utils.safestring import mark_safe

    from supportqa.conversations.transcript import Line

    draw = Template("{% load sqa %}{% transcript_line line flags marked citing %}")
    message = cast.conversation.messages.order_by("seq").first()
    message.text, message.author, message.author_name = "Hi <there>\nsecond", None, "Dana"
    message.author_kind = "customer"
    line = Line(message=message, gap_seconds=30, waited=False, sentiment=-0.62)
    plain = draw.render(Context({"line": line, "flags": {}, "marked": {}, "citing": None}))
    sent = timezone.localtime(message.sent_at)
    assert plain.startswith(f'<li class="msg msg-customer" data-seq="{message.seq}"')
    assert "<strong>Dana</strong>" in plain and 'class="gap' not in plain
    assert f'<time datetime="{sent.isoformat()}">{sent.strftime("%d %b %H:%M:%S")}</time>' in plain
    assert f"· #{message.seq + 1}</span>" in plain
    assert 'title="Sentiment -0.62 (VADER)">negative</span>' in plain
    assert '<div class="msg-text">Hi &lt;there&gt;<br>second</div>' in plain
    assert 'class="cite"' not in plain and "outcome-" not in plain
    flag = SimpleNamespace(outcome="n/a", explanation="No <greeting>", label="Greeting")
    late = Line(message=message, gap_seconds=600, waited=True, sentiment=None)
    marked = {message.seq: mark_safe("Hi <mark>there</mark>")}
    full = draw.render(
        Context({"line": late, "flags": {message.seq: [flag]}, "marked": marked, "citing": "draft"})
    )
    assert full.startswith('<li class="gap slow" aria-label="gap">10 min later — customer waited')
    assert (
        '<span class="badge outcome-na" title="AutoQA: No &lt;greeting&gt;">Greeting</span>' in full
    )
    assert f'<button type="button" class="cite" data-seq="{message.seq}"' in full
    assert '<div class="msg-text">Hi <mark>there</mark></div>' in full and "mood" not in full
    message.author = cast.agent
    assert f"<strong>{cast.agent.name}</strong>" in draw.render(
        Context({"line": line, "flags": None, "marked": None, "citing": None})
    )


def test_the_rows_shortcuts_give_what_djangos_functions_give(cast):
    """The conversation list's row draws its date, link and subject without Django's general
    functions, to the same text."""
    from datetime import datetime

    from django.urls import reverse
    from django.utils import dateformat, timezone
    from django.utils.text import Truncator

    from supportqa.reports.templatetags.sqa import _conversation_url, _date_time, _shortened

    for moment in (datetime(2026, 1, 5, 23, 59, tzinfo=UTC), cast.conversation.created_at):
        assert _date_time(moment) == dateformat.format(timezone.localtime(moment), "d M Y H:i")
        with timezone.override("Asia/Kolkata"):
            local = dateformat.format(timezone.localtime(moment), "d M Y H:i")
            assert _date_time(moment) == local
    for code in (cast.conversation.code, "abc123", "é", "a b"):
        assert _conversation_url(code) == reverse("conversation-detail", args=[code])
    for text in ("short", "x" * 70, "y" * 71, "café " * 20, "e\u0301" * 69 + "tail"):
        assert _shortened(text, 70) == Truncator(text).chars(70)


# The fieldset markup `{% criterion_fields %}` replaced, kept as the reference it must match.
_CRITERION_MARKUP = """{% load sqa %}      {% for row in criteria_rows %}
      <fieldset class="criterion{% if row.criterion.code in errors %} invalid{% endif %}" data-code="{{ row.criterion.code }}">
        <legend>{{ row.criterion.name }}{% if row.criterion.critical %} <span class="badge critical" title="A rating below 50% sets the review score to 0">critical</span>{% endif %}</legend>
        {% if row.criterion.description %}<p class="muted">{{ row.criterion.description }}</p>{% endif %}
        <div class="options">
        {% for pos, option in row.options %}
          <label class="option"><input type="radio" name="rating-{{ row.criterion.code }}" value="{{ pos }}" {% if row.selected == pos %}checked{% endif %}>
            <span><strong>{{ option.label }}</strong>{% if option.description %}<br><small>{{ option.description }}</small>{% endif %}</span></label>
        {% endfor %}
        {% if row.criterion.allow_na %}<label class="option na"><input type="radio" name="rating-{{ row.criterion.code }}" value="na" {% if row.selected == "na" %}checked{% endif %}><span><strong>N/A</strong><br><small>Does not apply to this conversation</small></span></label>{% endif %}
        </div>
        {% if row.causes %}<details {% if row.causes|length and row.selected %}open{% endif %}><summary>Root causes</summary>
          {% for pos, cause, checked in row.causes %}<label class="check"><input type="checkbox" name="cause-{{ row.criterion.code }}" value="{{ pos }}" {% if checked %}checked{% endif %}> {{ cause.label }}</label>{% endfor %}
        </details>{% endif %}
        <label class="small" for="comment-{{ row.criterion.code }}">Comment</label>
        <textarea id="comment-{{ row.criterion.code }}" name="comment-{{ row.criterion.code }}" rows="2">{{ row.comment }}</textarea>
        {% if evidence %}<input type="hidden" name="evidence-{{ row.criterion.code }}" value="{{ row.evidence }}">
        <p class="evidence small">Evidence: <span class="evidence-list">{{ row.evidence|message_numbers|default:"none" }}</span></p>{% endif %}
      </fieldset>
      {% endfor %}
"""  # noqa: E501


def test_a_criterions_fields_draw_what_the_template_markup_drew(cast):
    """{% criterion_fields %}: the same fieldset as the markup it replaced (whitespace
    aside), chosen, N/A, root causes, errors and evidence included."""
    import re

    from django.template import Context, Template

    from supportqa.reviews.forms import review_form_context
    from tests.conftest import chat_rubric, submitted_review

    def norm(html):
        return re.sub(r"\s+", " ", html).replace("> <", "><").strip()

    version = chat_rubric()
    review = submitted_review(cast.conversation, cast.qa, position=1)
    rows = review_form_context(version, review, None)["criteria_rows"]
    rows[0] = {**rows[0], "selected": "na", "comment": "<b>why</b>", "evidence": "0,2"}
    with_causes = next(r for r in rows if r["causes"])
    with_causes["causes"][0] = (*with_causes["causes"][0][:2], True)
    tag = Template(
        "{% load sqa %}{% for row in criteria_rows %}"
        "{% criterion_fields row errors evidence %}{% endfor %}"
    )
    reference = Template(_CRITERION_MARKUP)
    for errors in ({}, {rows[1]["criterion"].code: "Choose one"}):
        for evidence in (True, False):
            context = {"criteria_rows": rows, "errors": errors, "evidence": evidence}
            drawn = tag.render(Context(context))
            assert norm(drawn) == norm(reference.render(Context(context)))
    assert 'value="na" checked>' in drawn and "&lt;b&gt;why&lt;/b&gt;" in drawn
    assert ' invalid" data-code=' in drawn and "> checked" not in drawn
    assert 'type="checkbox"' in drawn and "checked> " in drawn
