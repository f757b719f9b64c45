from __future__ import annotations

from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib.auth.password_validation import validate_password

from supportqa.accounts.models import AgentSkill, Role, Team, User

# Names kept in the zone database for old systems, not places people pick.
LEGACY = ("Etc/", "SystemV/", "US/", "posix/", "right/", "Brazil/", "Canada/", "Chile/", "Mexico/")


@lru_cache(maxsize=1)
def zone_choices() -> list[tuple[str, str]]:
    """UTC and the IANA zones named Region/City (read once: listing them walks the zone
    files), without the legacy aliases."""
    zones = {"UTC"} | {
        zone for zone in available_timezones() if "/" in zone and not zone.startswith(LEGACY)
    }
    return [(zone, zone.replace("_", " ")) for zone in sorted(zones)]


class ZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=zone_choices,
        help_text="Times on every page, and the days you pick in filters, are in this zone.",
    )


LEVELS = [("", "—"), *((str(n), str(n)) for n in range(1, 6))]


def categories() -> list[Any]:
    """The active request categories (the skill a level is given for). Read through the
    skill's relation: this app sits below the conversations app."""
    model = AgentSkill._meta.get_field("category").related_model
    return list(model.objects.filter(is_active=True).order_by("position", "name"))  # type: ignore[union-attr]


class PersonForm(forms.Form):
    username = forms.RegexField(
        regex=r"^[\w.@+-]{1,150}$",
        error_messages={"invalid": "letters, digits and . @ + - _ only"},
    )
    display_name = forms.CharField(max_length=150, label="Name")
    email = forms.EmailField(required=False, label="E-mail")
    role = forms.ChoiceField(choices=Role.choices)
    is_active = forms.BooleanField(required=False, initial=True, label="Can sign in")
    time_zone = forms.ChoiceField(choices=zone_choices, initial="UTC")
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    leads = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Leads",
        help_text="Teams this person leads (a lead sees those teams' agents).",
    )
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="A new person needs one; leave empty to keep the current password.",
    )

    def __init__(self, *args: Any, person: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        self.skill_names = {}
        for category in categories():
            name = f"skill-{category.code}"
            self.skill_names[name] = category
            self.fields[name] = forms.ChoiceField(
                choices=LEVELS, required=False, label=category.name
            )
        if person is not None:
            self.fields["username"].disabled = True

    def skill_fields(self) -> list[Any]:
        return [self[name] for name in self.skill_names]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        clash = User.objects.filter(username__iexact=username)
        if self.person is not None:
            clash = clash.exclude(pk=self.person.pk)
        if clash.exists():
            raise forms.ValidationError("this username is taken")
        return str(username)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password", "")
        if self.person is None and not password:
            self.add_error("password", "a new person needs a first password")
        elif password:
            try:
                validate_password(password, self.person)
            except forms.ValidationError as error:
                self.add_error("password", error)
        leads = set(data.get("leads") or [])
        if leads - set(data.get("teams") or []):
            self.add_error("leads", "a person leads only teams they are a member of")
        return data

    @staticmethod
    def initial_for(person: User) -> dict[str, Any]:
        memberships = list(person.memberships.all())
        initial: dict[str, Any] = {
            "username": person.username,
            "display_name": person.display_name,
            "email": person.email,
            "role": person.role,
            "is_active": person.is_active,
            "time_zone": person.time_zone,
            "teams": [m.team_id for m in memberships],
            "leads": [m.team_id for m in memberships if m.is_lead],
        }
        for skill in person.skills.select_related("category"):
            initial[f"skill-{skill.category.code}"] = str(skill.level)
        return initial


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120)

    def __init__(self, *args: Any, team: Team | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team = team

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Team.objects.filter(name__iexact=name)
        if self.team is not None:
            clash = clash.exclude(pk=self.team.pk)
        if clash.exists():
            raise forms.ValidationError("a team has this name")
        return name
