"""Create a scorecard version from a spec dict (the shape of `defaults.py`).

Takes the model classes as arguments so data migrations can pass their historical models.
"""

from __future__ import annotations

import re
from typing import Any

from supportqa.core.jsontext import first_unstorable


class SpecError(ValueError):
    pass


def validate_spec(spec: Any) -> None:
    """Check a spec before anything is written; errors name the path, e.g.
    `sections[0].criteria[2].options[1].value: must be a number from 0 to 100`."""
    if not isinstance(spec, dict):
        raise SpecError("the scorecard must be a JSON object")
    found = first_unstorable(spec)
    if found is not None:
        raise SpecError(f"{found[0]}: {found[1]}")
    _description(spec.get("description", ""), "description")
    if "pass_threshold" in spec:  # otherwise SUPPORTQA_PASS_THRESHOLD (the model's default)
        _number(spec["pass_threshold"], "pass_threshold", 0, 100)
    sections = _list(spec.get("sections"), "sections", 1, "a scorecard needs at least one section")
    keys: set[str] = set()
    for s_index, section in enumerate(sections):
        _section(section, f"sections[{s_index}]", keys)
    if not any(
        section.get("weight", 1) > 0 and any(c.get("weight", 1) > 0 for c in section["criteria"])
        for section in sections
    ):
        raise SpecError(
            "sections: every weight is 0, so no review could be scored; give at least one "
            "criterion, and its section, a weight above 0"
        )


def _section(section: Any, where: str, keys: set[str]) -> None:
    _object(section, where)
    _text(section.get("name"), f"{where}.name")
    _number(section.get("weight", 1), f"{where}.weight", 0, 1e6)
    criteria = _list(
        section.get("criteria"), f"{where}.criteria", 1, "a section needs at least one criterion"
    )
    for c_index, criterion in enumerate(criteria):
        _criterion(criterion, f"{where}.criteria[{c_index}]", keys)


def _criterion(criterion: Any, where: str, keys: set[str]) -> None:
    _object(criterion, where)
    key = _text(criterion.get("key"), f"{where}.key", limit=64)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", key):
        raise SpecError(f"{where}.key: use lower-case letters, digits and hyphens")
    if key in keys:
        raise SpecError(f"{where}.key: {key!r} is used twice")
    keys.add(key)
    _text(criterion.get("name"), f"{where}.name")
    _description(criterion.get("description", ""), f"{where}.description")
    _number(criterion.get("weight", 1), f"{where}.weight", 0, 1e6)
    for flag in ("critical", "allow_na"):
        if not isinstance(criterion.get(flag, False), bool):
            raise SpecError(f"{where}.{flag}: must be true or false")
    _options(criterion.get("options"), f"{where}.options")
    causes = criterion.get("root_causes", [])
    if not isinstance(causes, list) or not all(isinstance(c, str) and c for c in causes):
        raise SpecError(f"{where}.root_causes: must be a list of non-empty texts")
    for r_index, cause in enumerate(causes):
        _text(cause, f"{where}.root_causes[{r_index}]")


def _options(options: Any, where: str) -> None:
    options = _list(options, where, 2, "a criterion needs at least two rating options")
    values = []
    for o_index, option in enumerate(options):
        at = f"{where}[{o_index}]"
        _object(option, at)
        _text(option.get("label"), f"{at}.label", limit=100)
        _description(option.get("description", ""), f"{at}.description")
        values.append(_number(option.get("value"), f"{at}.value", 0, 100))
    if len(set(values)) < 2:
        raise SpecError(f"{where}: options need at least two distinct values")


def _object(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise SpecError(f"{where}: must be an object")


def _list(value: Any, where: str, at_least: int, otherwise: str) -> list[Any]:
    if not isinstance(value, list) or len(value) < at_least:
        raise SpecError(f"{where}: {otherwise}")
    return value


def _text(value: Any, where: str, limit: int = 150) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"{where}: is required text")
    if len(value) > limit:
        raise SpecError(f"{where}: is longer than {limit} characters")
    return value


def _description(value: Any, where: str) -> None:
    if not isinstance(value, str):
        raise SpecError(f"{where}: must be text")
    if len(value) > 5000:
        raise SpecError(f"{where}: is longer than 5,000 characters")


def _number(value: Any, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise SpecError(f"{where}: must be a number from {low:,.0f} to {high:,.0f}")
    return float(value)


def build_version(
    models: dict[str, Any],
    scorecard: Any,
    spec: dict[str, Any],
    number: int,
    created_by: Any = None,
) -> Any:
    validate_spec(spec)
    threshold = (
        {"pass_threshold": float(spec["pass_threshold"])} if "pass_threshold" in spec else {}
    )
    version = models["ScorecardVersion"].objects.create(
        scorecard=scorecard, number=number, created_by=created_by, **threshold
    )
    for s_pos, s_spec in enumerate(spec["sections"]):
        section = models["Section"].objects.create(
            version=version,
            name=s_spec["name"],
            weight=float(s_spec.get("weight", 1)),
            position=s_pos,
        )
        for c_pos, c_spec in enumerate(s_spec["criteria"]):
            criterion = models["Criterion"].objects.create(
                section=section,
                key=c_spec["key"],
                name=c_spec["name"],
                description=c_spec.get("description", ""),
                weight=float(c_spec.get("weight", 1)),
                critical=bool(c_spec.get("critical", False)),
                allow_na=bool(c_spec.get("allow_na", True)),
                position=c_pos,
            )
            models["RatingOption"].objects.bulk_create(
                models["RatingOption"](
                    criterion=criterion,
                    label=o["label"],
                    value=float(o["value"]),
                    description=o.get("description", ""),
                    position=o_pos,
                )
                for o_pos, o in enumerate(c_spec["options"])
            )
            models["RootCauseOption"].objects.bulk_create(
                models["RootCauseOption"](criterion=criterion, label=label, position=r_pos)
                for r_pos, label in enumerate(c_spec.get("root_causes", []))
            )
    return version


def spec_of(version: Any) -> dict[str, Any]:
    """The spec dict of a stored version (for export and for editing into a new version)."""
    return {
        "slug": version.scorecard.slug,
        "name": version.scorecard.name,
        "description": version.scorecard.description,
        "pass_threshold": version.pass_threshold,
        "sections": [
            {
                "name": section.name,
                "weight": section.weight,
                "criteria": [
                    {
                        "key": c.key,
                        "name": c.name,
                        "description": c.description,
                        "weight": c.weight,
                        "critical": c.critical,
                        "allow_na": c.allow_na,
                        "options": [
                            {"label": o.label, "value": o.value, "description": o.description}
                            for o in c.options.all()
                        ],
                        "root_causes": [r.label for r in c.root_causes.all()],
                    }
                    for c in section.criteria.all()
                ],
            }
            for section in version.sections.all()
        ],
    }


def spec_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What a version changed from the one before, in words: the pass threshold, sections
    added, removed or reweighted, and criteria (matched by key) added, removed, renamed,
    moved, reweighted, made critical or not, N/A allowed or not, and their options' values."""
    changes = []
    old_mark, new_mark = before.get("pass_threshold"), after.get("pass_threshold")
    if old_mark != new_mark:
        changes.append(f"pass mark {float(old_mark or 0):g}% → {float(new_mark or 0):g}%")
    old_sections = {s["name"]: s for s in before["sections"]}
    new_sections = {s["name"]: s for s in after["sections"]}
    changes += [f"section “{n}” added" for n in new_sections if n not in old_sections]
    changes += [f"section “{n}” removed" for n in old_sections if n not in new_sections]
    changes += [
        f"section “{n}” weight {float(old_sections[n].get('weight', 1)):g} → "
        f"{float(s.get('weight', 1)):g}"
        for n, s in new_sections.items()
        if n in old_sections and old_sections[n].get("weight", 1) != s.get("weight", 1)
    ]
    old, new = _criteria_by_key(before), _criteria_by_key(after)
    changes += [f"criterion “{new[k][1]['name']}” added" for k in new if k not in old]
    changes += [f"criterion “{old[k][1]['name']}” removed" for k in old if k not in new]
    for key in (k for k in new if k in old):
        changes += _criterion_changes(*old[key], *new[key])
    return changes


def _criteria_by_key(spec: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {c["key"]: (s["name"], c) for s in spec["sections"] for c in s["criteria"]}


def _criterion_changes(
    old_section: str, old: dict[str, Any], new_section: str, new: dict[str, Any]
) -> list[str]:
    name = new["name"]
    changes = []
    if old["name"] != name:
        changes.append(f"criterion “{old['name']}” renamed “{name}”")
    if old_section != new_section:
        changes.append(f"“{name}” moved to section “{new_section}”")
    if float(old.get("weight", 1)) != float(new.get("weight", 1)):
        changes.append(
            f"“{name}” weight {float(old.get('weight', 1)):g} → {float(new.get('weight', 1)):g}"
        )
    for flag, made, unmade in (
        ("critical", "made critical", "no longer critical"),
        ("allow_na", "may be rated N/A", "may no longer be rated N/A"),
    ):
        if bool(old.get(flag)) != bool(new.get(flag)):
            changes.append(f"“{name}” {made if new.get(flag) else unmade}")
    old_options = {o["label"]: o["value"] for o in old["options"]}
    new_options = {o["label"]: o["value"] for o in new["options"]}
    renamed = {}  # an option whose label changed in place, its value kept
    if len(old["options"]) == len(new["options"]):
        for before, after in zip(old["options"], new["options"], strict=True):
            unmatched = before["label"] not in new_options and after["label"] not in old_options
            if unmatched and float(before["value"]) == float(after["value"]):
                renamed[before["label"]] = after["label"]
    changes += [f"“{name}” option “{label}” renamed “{after}”" for label, after in renamed.items()]
    changes += [
        f"“{name}” option “{label}” added"
        for label in new_options
        if label not in old_options and label not in renamed.values()
    ]
    changes += [
        f"“{name}” option “{label}” removed"
        for label in old_options
        if label not in new_options and label not in renamed
    ]
    changes += [
        f"“{name}” option “{label}” value {old_options[label]:g} → {value:g}"
        for label, value in new_options.items()
        if label in old_options and float(old_options[label]) != float(value)
    ]
    return changes
