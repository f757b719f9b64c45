"""The scorecard builder's form: a draft spec (the shape of `defaults.py`) read from and
written to flat form fields, the edits its buttons make, and the live preview's scores.

Field names carry the position: `s-0-name`, `s-0-c-1-weight`, `s-0-c-1-o-2-value`. The draft
lives in the form until it is published, so adding, moving or removing a part is a pure
function of the posted draft; `validate_spec` (building.py) stays the only check, and its error
path (`sections[0].criteria[1].options[2].value`) names the field it is about.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.text import slugify

from supportqa.core.scoring import CriterionRating, ReviewScore, passed, review_score

_FIELD = re.compile(r"s-(\d+)(?:-c-(\d+)(?:-o-(\d+))?)?-(\w+)")
NEW_OPTIONS = [  # as the default rubric lists them: best first
    {"label": "Exceeds", "value": 100.0, "description": ""},
    {"label": "Meets", "value": 80.0, "description": ""},
    {"label": "Below", "value": 0.0, "description": ""},
]


def blank_criterion(number: int) -> dict[str, Any]:
    return {
        "key": "",
        "name": f"Criterion {number}",
        "description": "",
        "weight": 1.0,
        "critical": False,
        "allow_na": True,
        "options": copy.deepcopy(NEW_OPTIONS),
        "root_causes": [],
    }


def blank_spec() -> dict[str, Any]:
    """A new scorecard's first draft: one section with one criterion."""
    return {
        "description": "",
        "pass_threshold": 80.0,
        "sections": [{"name": "Section 1", "weight": 1.0, "criteria": [blank_criterion(1)]}],
    }


def _number(text: str) -> Any:
    """A typed number as a float; anything else as typed, for validate_spec to name."""
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return text


def draft_from_form(data: Mapping[str, Any]) -> dict[str, Any]:
    """The draft spec of a posted builder form, as typed (`finished` fills in what the
    person may leave out). Missing positions close up (a removed row leaves no hole)."""
    spec: dict[str, Any] = {
        "description": str(data.get("description", "")),
        "pass_threshold": _number(str(data.get("pass_threshold", ""))),
    }
    sections: dict[int, dict[str, Any]] = {}
    for name in data:
        match = _FIELD.fullmatch(name)
        if match is None:
            continue
        s, c, o, field = match.groups()
        value = str(data.get(name, ""))
        section = sections.setdefault(int(s), {"criteria": {}})
        if c is None:
            section[field] = _number(value) if field == "weight" else value
            continue
        criterion = section["criteria"].setdefault(int(c), {"options": {}})
        if o is not None:
            option = criterion["options"].setdefault(int(o), {})
            option[field] = _number(value) if field == "value" else value
        elif field in ("critical", "allow_na"):
            criterion[field] = value == "on"
        elif field == "root_causes":
            criterion[field] = [line.strip() for line in value.splitlines() if line.strip()]
        else:
            criterion[field] = _number(value) if field == "weight" else value
    spec["sections"] = [
        {
            "name": section.get("name", ""),
            "weight": section.get("weight", 1.0),
            "criteria": [_criterion(section["criteria"][c]) for c in sorted(section["criteria"])],
        }
        for _, section in sorted(sections.items())
    ]
    return spec


def _criterion(fields: dict[str, Any]) -> dict[str, Any]:
    options = [fields["options"][o] for o in sorted(fields["options"])]
    return {
        "key": str(fields.get("key", "")).strip(),
        "name": fields.get("name", ""),
        "description": fields.get("description", ""),
        "weight": fields.get("weight", 1.0),
        "critical": fields.get("critical", False),
        "allow_na": fields.get("allow_na", False),
        "options": [
            {
                "label": o.get("label", ""),
                "value": o.get("value", ""),
                "description": o.get("description", ""),
            }
            for o in options
        ],
        "root_causes": fields.get("root_causes", []),
        "sample": fields.get("sample", ""),
    }


def finished(spec: dict[str, Any], *, keep_samples: bool = False) -> dict[str, Any]:
    """The draft as it would be published: a criterion without a key gets one from its name,
    and the preview's sample ratings (not part of a scorecard) are dropped."""
    clean = copy.deepcopy(spec)
    for section in clean["sections"]:
        for criterion in section["criteria"]:
            if not str(criterion.get("key", "")).strip():
                criterion["key"] = slugify(str(criterion.get("name", "")))[:64]
            if not keep_samples:
                criterion.pop("sample", None)
    return clean


class EditError(ValueError):
    """A builder button that does not fit the draft (a stale page): nothing changes."""


def edit(spec: dict[str, Any], op: str) -> tuple[dict[str, Any], str]:
    """Apply one builder button to a draft; returns the new draft and the id of the part to
    show. Ops: add-section, add-criterion:S, add-option:S:C, remove-…, up-…, down-… with the
    part's positions. Moving a criterion past its section's end moves it into the next
    section (and before its start, into the previous one)."""
    draft = copy.deepcopy(spec)
    verb, _, where = op.partition("-")
    kind, _, place = where.partition(":")
    try:
        at = [int(p) for p in place.split(":")] if place else []
        sections = draft["sections"]
        if kind == "section":
            return draft, _section_edit(sections, verb, at)
        if kind == "criterion":
            return draft, _criterion_edit(sections, verb, at)
        if kind == "option":
            criterion = sections[at[0]]["criteria"][at[1]]
            if verb == "add":  # label and value left for the person to give
                criterion["options"].append({"label": "", "value": "", "description": ""})
                return draft, f"s-{at[0]}-c-{at[1]}-o-{len(criterion['options']) - 1}-label"
            if verb == "remove":
                del criterion["options"][at[2]]
                return draft, f"s-{at[0]}-c-{at[1]}"
    except (IndexError, ValueError) as exc:
        raise EditError("That part of the scorecard is no longer there; nothing changed.") from exc
    raise EditError(f"Unknown builder action {op!r}.")


def _section_edit(sections: list[Any], verb: str, at: list[int]) -> str:
    if verb == "add":
        count = sum(len(s["criteria"]) for s in sections)
        sections.append(
            {
                "name": f"Section {len(sections) + 1}",
                "weight": 1.0,
                "criteria": [blank_criterion(count + 1)],
            }
        )
        return f"s-{len(sections) - 1}"
    (s,) = at
    if verb == "remove":
        del sections[s]
        return f"s-{max(s - 1, 0)}"
    target = s - 1 if verb == "up" else s + 1
    if not 0 <= target < len(sections) or verb not in ("up", "down"):
        raise ValueError(verb)
    sections[s], sections[target] = sections[target], sections[s]
    return f"s-{target}"


def _criterion_edit(sections: list[Any], verb: str, at: list[int]) -> str:
    if verb == "add":
        (s,) = at
        count = sum(len(x["criteria"]) for x in sections)
        sections[s]["criteria"].append(blank_criterion(count + 1))
        return f"s-{s}-c-{len(sections[s]['criteria']) - 1}"
    s, c = at
    criteria = sections[s]["criteria"]
    if verb == "remove":
        del criteria[c]
        return f"s-{s}"
    if verb not in ("up", "down"):
        raise ValueError(verb)
    step = -1 if verb == "up" else 1
    target = c + step
    if 0 <= target < len(criteria):
        criteria[c], criteria[target] = criteria[target], criteria[c]
        return f"s-{s}-c-{target}"
    other = s + step
    if not 0 <= other < len(sections):
        raise ValueError(verb)
    moving = criteria.pop(c)
    into = sections[other]["criteria"]
    if step < 0:
        into.append(moving)
        return f"s-{other}-c-{len(into) - 1}"
    into.insert(0, moving)
    return f"s-{other}-c-0"


_PATH_PART = re.compile(r"(sections|criteria|options)\[(\d+)\]")


def field_of(error: str) -> str:
    """The form field an error of `validate_spec` is about: `sections[0].criteria[1].key:
    …` → `s-0-c-1-key`; a part without a field (`sections[0].criteria: …`) → its block's id."""
    path = error.split(":", 1)[0]
    letters = {"sections": "s", "criteria": "c", "options": "o"}
    pieces = [f"{letters[kind]}-{index}" for kind, index in _PATH_PART.findall(path)]
    last = path.rsplit(".", 1)[-1] if "." in path else path
    if last and not _PATH_PART.fullmatch(last) and last not in letters:
        pieces.append(re.sub(r"\[\d+\]$", "", last))  # root_causes[2]: the one text area
    return "-".join(pieces)


@dataclass(frozen=True)
class Preview:
    """A score the draft would give: what was rated, the scores and whether it passes."""

    label: str
    score: ReviewScore
    passes: bool


def preview(spec: dict[str, Any]) -> list[Preview]:
    """The draft's score for its sample ratings (each criterion's `sample`: an option's
    position or "na") and for three plain cases: every criterion at its top option, one
    option below the top, and at the bottom. Empty when the draft's numbers are not valid
    yet (validate the draft first)."""
    mark = float(spec["pass_threshold"])

    def scored(label: str, pick: Any) -> Preview:
        score = _score(spec, pick)
        return Preview(label, score, score.final is not None and passed(score.final, mark))

    def sample(criterion: dict[str, Any]) -> float | None:
        chosen = sample_position(criterion)
        return None if chosen == "na" else float(criterion["options"][chosen]["value"])

    def ranked(options: list[dict[str, Any]]) -> list[float]:
        return sorted({float(o["value"]) for o in options}, reverse=True)

    return [
        scored("Your sample", sample),
        scored("All at the top option", lambda c: ranked(c["options"])[0]),
        scored("All one below the top", lambda c: ranked(c["options"])[1]),
        scored("All at the bottom", lambda c: ranked(c["options"])[-1]),
    ]


def sample_position(criterion: dict[str, Any]) -> int | str:
    """The option the preview rates a criterion with: the chosen one, "na" (when N/A is
    allowed), or else its top option."""
    chosen = str(criterion.get("sample", ""))
    options = criterion["options"]
    if chosen == "na" and criterion.get("allow_na"):
        return "na"
    if re.fullmatch(r"[0-9]{1,4}", chosen) and int(chosen) < len(options):
        return int(chosen)
    numbers = [(v, i) for i, o in enumerate(options) if isinstance(v := o.get("value"), float)]
    return max(numbers)[1] if numbers else 0


def _score(spec: dict[str, Any], pick: Any) -> ReviewScore:
    ratings = []
    weights = {}
    for s_index, section in enumerate(spec["sections"]):
        weights[str(s_index)] = float(section.get("weight", 1))
        for c_index, criterion in enumerate(section["criteria"]):
            values = [float(o["value"]) for o in criterion["options"]]
            ratings.append(
                CriterionRating(
                    key=f"{s_index}-{c_index}",
                    value=pick(criterion),
                    scale_min=min(values),
                    scale_max=max(values),
                    weight=float(criterion.get("weight", 1)),
                    critical=bool(criterion.get("critical", False)),
                    section=str(s_index),
                )
            )
    return review_score(ratings, weights)


def with_ids(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The draft's sections for the form, each part with the id its fields' names start with
    (`s-0`, `s-0-c-1`, `s-0-c-1-o-2`) and its position."""
    sections = []
    for s, section in enumerate(spec["sections"]):
        criteria = []
        for c, criterion in enumerate(section["criteria"]):
            options = [
                {**option, "id": f"s-{s}-c-{c}-o-{o}", "at": f"{s}:{c}:{o}"}
                for o, option in enumerate(criterion["options"])
            ]
            criteria.append(
                {**criterion, "options": options, "id": f"s-{s}-c-{c}", "at": f"{s}:{c}",
                 "causes_text": "\n".join(criterion.get("root_causes", [])),
                 "sample": str(sample_position(criterion))}
            )  # fmt: skip
        sections.append({**section, "criteria": criteria, "id": f"s-{s}", "at": str(s)})
    return sections


_WORDS = {"description": "description", "root_causes": "root causes", "label": "label"}


def describe(error: str, spec: dict[str, Any]) -> str:
    """An error of `validate_spec` with its place in words: `sections[0].criteria[1].options[1]
    .value: …` → `Clarity of Communication, option 2 (Meets Expectations), value: …`."""
    path, _, reason = error.partition(": ")
    if not reason:
        return error
    place: list[str] = []
    section: Any = None
    criterion: Any = None
    for kind, index in _PATH_PART.findall(path):
        at = int(index)
        try:
            if kind == "sections":
                section = spec["sections"][at]
                place.append(
                    f"section {at + 1}" + (f" ({section['name']})" if section.get("name") else "")
                )
            elif kind == "criteria":
                criterion = section["criteria"][at]
                place[-1:] = [str(criterion.get("name") or f"criterion {at + 1}")]
            else:
                option = criterion["options"][at]
                place.append(
                    f"option {at + 1}" + (f" ({option['label']})" if option.get("label") else "")
                )
        except (IndexError, KeyError, TypeError):
            place.append(f"{kind} {at + 1}")
    last = path.rsplit(".", 1)[-1]
    if last == "pass_threshold":
        place.append("pass mark")
    elif last and not _PATH_PART.fullmatch(last) and last not in ("sections", "criteria"):
        field = re.sub(r"\[\d+\]$", "", last)  # root_causes[2]: the root causes
        place.append(_WORDS.get(field, field))
    return f"{', '.join(place)}: {reason}" if place else reason
