"""Form widgets drawn in Python (supportqa.rendering.FormRenderer) give the HTML Django's own
templates give."""

from __future__ import annotations

import datetime

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
