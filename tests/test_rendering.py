"""Form widgets drawn in Python (supportqa.rendering.FormRenderer) give the HTML Django's own
templates give."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from supportqa.rendering import DRAWN, FormRenderer


class Everything(forms.Form):
    q = forms.CharField(max_length=20, label="Search", widget=forms.TextInput(attrs={"x": True}))
    agent = forms.ChoiceField(choices=[("", "Any"), ("a1", "Ann & <Bob>"), ("a2", 'Quote "q"')])
    grouped = forms.ChoiceField(
        choices=[("", "—"), ("Team <A>", [("1", "One"), ("2", "Two")]), ("3", "Three")],
        widget=forms.Select(attrs={"disabled": True, "hidden": False, "data-n": 3}),
    )
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two")], required=False)
    since = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    low = forms.IntegerField(min_value=0, max_value=100)
    mail = forms.EmailField(required=False)
    secret = forms.CharField(widget=forms.PasswordInput)
    cause = forms.CharField(widget=forms.HiddenInput)
    count = forms.ChoiceField(choices=[(1000, 1000), (2, 2.5)])


def test_widgets_drawn_in_python_are_the_ones_djangos_templates_draw():
    values = {
        "q": 'say "hi" & <go>',
        "agent": "a1",
        "grouped": "2",
        "many": ["1", "2"],
        "since": datetime.date(2026, 3, 5),
        "low": 7,
        "mail": "a@b.test",
        "secret": "hidden",
        "cause": "key|a <label>",
        "count": "1000",
    }
    ours, django = FormRenderer(), DjangoTemplates()
    drawn = set()
    for form in (Everything(), Everything(values), Everything({"low": "x"})):
        for field in form:
            widget = field.field.widget
            assert widget.render(field.html_name, field.value(), renderer=ours) == widget.render(
                field.html_name, field.value(), renderer=django
            ), field.name
            context = widget.get_context(field.html_name, field.value(), None)
            assert DRAWN[widget.template_name](context["widget"]) is not None  # not handed back
            drawn.add(widget.template_name)
    assert {"django/forms/widgets/select.html", "django/forms/widgets/text.html"} <= drawn
    assert drawn <= set(DRAWN)  # every widget above went through the Python path


def test_format_html_gives_what_djangos_gives():
    """`rendering.format_html` and `format_html_join` escape as Django's do: texts with every
    character HTML gives a meaning to, safe texts left alone, numbers, None, dates, lazy
    texts, objects with `__html__` and a text subclass; any difference fails."""
    from django.utils import html as django
    from django.utils.functional import lazy
    from django.utils.safestring import SafeString, mark_safe

    from supportqa import rendering

    class Marked:
        def __html__(self) -> str:
            return "<b>kept</b>"

    class Text(str):
        pass

    values = [
        "plain", "A & B <c> \"d\" 'e'", mark_safe("<i>safe</i>"), 0, 2.5, -3, None, True,
        datetime.date(2026, 12, 5), lazy(lambda: "<lazy & 'text'>", str)(), Marked(),
        Text("<sub>"), "", "ünïcødé <>",
    ]  # fmt: skip
    for value in values:
        for template in ("{}", '<a href="/x/?q={}">{}</a>'):
            args = [value] * template.count("{}")
            ours = rendering.format_html(template, *args)
            assert ours == django.format_html(template, *args) and isinstance(ours, SafeString)
    assert rendering.format_html("<p>{who}: {}</p>", "<x>", who="A&B") == django.format_html(
        "<p>{who}: {}</p>", "<x>", who="A&B"
    )
    rows = [(v, v) for v in values]
    named = [{"k": v, "v": "<&>"} for v in values]
    for separator in (", ", "<br>", mark_safe("<br>")):
        ours = rendering.format_html_join(separator, "<li>{}={}</li>", rows)
        assert ours == django.format_html_join(separator, "<li>{}={}</li>", rows)
        ours = rendering.format_html_join(separator, "<li>{k}={v}</li>", named)
        assert ours == django.format_html_join(separator, "<li>{k}={v}</li>", named)
    with pytest.raises(TypeError):  # formatted beforehand: Django 6 refuses it too
        rendering.format_html("<b>made unescaped</b>")
