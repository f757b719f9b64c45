"""HTML drawn in Python: `format_html` for the template tags, and form widgets: Django's
templates, except that select boxes and plain inputs are drawn in Python, to the same HTML
(`FormRenderer`, the FORM_RENDERER setting).

Django draws a select box through an included template per option and another per option's
attributes: the conversation list's filters (a select of every agent in the person's scope
among them) took about 2 ms of every list page to draw that way."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime

WIDGETS = "django/forms/widgets/"
OPTION = WIDGETS + "select_option.html"


def escaped(value: Any) -> str:
    """Django's `conditional_escape`: a value marked safe (one with `__html__`) as it says,
    any other as its text escaped (`html.escape`, as Django's `escape`). Without Django's
    wrapper, which looks through the arguments for lazy texts on every call: the
    conversation page and the list escape a few hundred pieces each."""
    if type(value) is str:
        return html.escape(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def format_html(template: str, /, *args: Any, **kwargs: Any) -> SafeString:
    """Django's `format_html` (each argument escaped unless marked safe), through `escaped`:
    a quarter of its cost. Without arguments it refuses, as Django 6 does: a template
    formatted beforehand (an f-string) would be marked safe unescaped."""
    if not args and not kwargs:
        raise TypeError("format_html needs arguments: format them in, not beforehand")
    named = {name: escaped(value) for name, value in kwargs.items()}
    return SafeString(template.format(*map(escaped, args), **named))


def format_html_join(
    separator: str, template: str, arguments: Iterable[Iterable[Any] | Mapping[str, Any]]
) -> SafeString:
    """Django's `format_html_join`: `format_html(template, *each)` (or `**each` for a
    mapping) joined by the separator (escaped unless marked safe)."""
    drawn = (
        format_html(template, **each) if isinstance(each, Mapping) else format_html(template, *each)
        for each in arguments
    )
    return SafeString(escaped(separator).join(drawn))


def _text(value: Any) -> str:
    """`{{ value }}` in a template: in local time, localized, as text, escaped unless marked
    safe."""
    return escaped(str(localize(template_localtime(value))))


def _value(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: escaped unless marked safe (the filter keeps it so)."""
    return escaped(value)


def _attrs(attrs: Mapping[str, Any]) -> str:
    """Django's attrs.html: ` name="value"` each, a bare ` name` for True, nothing for False."""
    drawn = []
    for name, value in attrs.items():
        if value is False:
            continue
        drawn.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_value(value)}"')
    return "".join(drawn)


def _input(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_value(value)}"'
    kind, name = _text(widget["type"]), _text(widget["name"])
    return f'<input type="{kind}" name="{name}"{shown}{_attrs(widget["attrs"])}>'


def _select(widget: Mapping[str, Any]) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f'\n  <optgroup label="{_text(group)}">')
        for option in options:
            if option["template_name"] != OPTION:
                return None  # another widget's options: Django's templates draw it
            parts.append(
                f'\n  <option value="{_value(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"  # (the option template's last line)
            )
        if group:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


INPUTS = ("text", "number", "date", "hidden", "email", "search", "url", "password", "tel")
DRAWN: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    WIDGETS + "select.html": _select,
    **{f"{WIDGETS}{kind}.html": _input for kind in INPUTS},
}


class FormRenderer(DjangoTemplates):
    """Django's renderer; select boxes and plain inputs drawn by `DRAWN`."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        draw = DRAWN.get(template_name)
        drawn = draw(context["widget"]) if draw is not None else None
        if drawn is None:
            return super().render(template_name, context, request)  # type: ignore[no-any-return]
        return drawn
