"""The form that sets up an assignment cycle."""

from __future__ import annotations

from typing import Any

from django import forms

from supportqa.accounts.access import teams_for
from supportqa.accounts.models import Role, User
from supportqa.accounts.permissions import holders, may_review
from supportqa.assignments.actions import eligible_reviewers
from supportqa.assignments.models import Design, Target


class CycleForm(forms.Form):
    name = forms.CharField(max_length=150)
    team = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="code", empty_label="Every team"
    )
    design = forms.ChoiceField(choices=Design.choices)
    sample_size = forms.IntegerField(
        min_value=1,
        max_value=1000,
        initial=20,
        help_text="Random picks per cycle (per agent when stratified).",
    )
    targets = forms.MultipleChoiceField(
        choices=Target.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Targeted design: conversations always picked.",
    )
    every_days = forms.IntegerField(min_value=1, max_value=90, initial=7, label="Every (days)")

    def __init__(self, *args: Any, user: User, reviewers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_for(user)
        if not user.is_org_wide:  # a lead runs cycles for the teams they lead only
            self.fields["team"].required = True
            self.fields["team"].empty_label = None
        for reviewer in reviewers:
            self.fields[f"quota-{reviewer.code}"] = forms.IntegerField(
                min_value=0,
                max_value=1000,
                initial=0,
                required=False,
                label=f"{reviewer.name} ({reviewer.get_role_display()})",
                help_text=_reach(reviewer),
            )
        self.reviewers = list(reviewers)

    def quotas(self) -> dict[User, int]:
        return {r: self.cleaned_data.get(f"quota-{r.code}") or 0 for r in self.reviewers}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(v for k, v in data.items() if k.startswith("quota-")):
            raise forms.ValidationError("give at least one reviewer a quota")
        if data.get("design") == Design.TARGETED and not data.get("targets"):
            self.add_error("targets", "a targeted design needs at least one spotlight rule")
        if "team" in data:
            self._check_reviewers_see(data["team"], data)
        return data

    def _check_reviewers_see(self, team: Any, data: dict[str, Any]) -> None:
        """Each reviewer given a quota can open the conversations of the chosen team."""
        allowed_ids = set(eligible_reviewers(team).values_list("pk", flat=True))
        where = team.name if team else "every team"
        for reviewer in self.reviewers:
            if data.get(f"quota-{reviewer.code}") and reviewer.pk not in allowed_ids:
                self.add_error(
                    f"quota-{reviewer.code}",
                    f"{reviewer.name} cannot open the conversations of {where}",
                )


def offered_reviewers(user: User) -> Any:
    """Reviewers a cycle of this person's may give work to: anyone who reviews, for org-wide
    people (the team chosen then decides, in `CycleForm.clean`); for a lead, those who can
    open the conversations of a team they lead."""
    if user.is_org_wide:
        return holders(may_review).order_by("username")
    eligible = User.objects.none()
    for team in teams_for(user):
        eligible = eligible | eligible_reviewers(team)
    return eligible.distinct().order_by("username")


def _reach(reviewer: User) -> str:
    """Whose conversations a reviewer can open, shown beside their quota."""
    if reviewer.is_org_wide:
        return "Can review every team."
    if reviewer.role == Role.LEAD:
        teams = reviewer.memberships.filter(is_lead=True)
    else:
        teams = reviewer.memberships.all()
    names = ", ".join(m.team.name for m in teams.select_related("team")) or "no team"
    return f"Can review: {names} only."
