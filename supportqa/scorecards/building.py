"""Create a scorecard version from a spec dict (the shape of `defaults.py`).

Takes the model classes as arguments so data migrations can pass their historical models.
"""

from __future__ import annotations

from typing import Any


class SpecError(ValueError):
    pass


def validate_spec(spec: dict[str, Any]) -> None:
    sections = spec.get("sections")
    if not sections:
        raise SpecError("a scorecard needs at least one section")
    for s_index, section in enumerate(sections):
        if not section.get("criteria"):
            raise SpecError(f"section {s_index + 1} has no criteria")
        for criterion in section["criteria"]:
            name = criterion.get("name", "?")
            options = criterion.get("options") or []
            if len(options) < 2:
                raise SpecError(f"criterion {name!r} needs at least two rating options")
            values = [float(o["value"]) for o in options]
            if any(not 0 <= v <= 100 for v in values):
                raise SpecError(f"criterion {name!r}: option values must lie in 0–100")
            if len(set(values)) < 2:
                raise SpecError(f"criterion {name!r}: options need distinct values")
            if float(criterion.get("weight", 1)) < 0:
                raise SpecError(f"criterion {name!r}: weight must not be negative")


def build_version(
    models: dict[str, Any],
    scorecard: Any,
    spec: dict[str, Any],
    number: int,
    created_by: Any = None,
) -> Any:
    validate_spec(spec)
    version = models["ScorecardVersion"].objects.create(
        scorecard=scorecard,
        number=number,
        pass_threshold=float(spec.get("pass_threshold", 80)),
        created_by=created_by,
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
