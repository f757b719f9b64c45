from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from supportqa.accounts.access import get_in_scope
from supportqa.accounts.actions import live_sessions, save_person, save_team, sign_out
from supportqa.accounts.forms import PersonForm, TeamForm, ZoneForm
from supportqa.accounts.models import AUTOQA_USERNAME, Role, Team, User
from supportqa.accounts.permissions import allowed, may_administer, signed_in
from supportqa.audit.actions import record_event


@allowed(signed_in)
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in person's account: who they are, their time zone, and a password change
    under the policy."""
    if request.POST.get("action") in ("sign-out", "sign-out-others"):
        current = request.session.session_key
        sessions = live_sessions(request.user)
        if request.POST["action"] == "sign-out":
            chosen = sessions.filter(code=request.POST.get("session", "")).exclude(
                session_key=current
            )
        else:
            chosen = sessions.exclude(session_key=current)
        count = sign_out(user=request.user, codes=list(chosen.values_list("code", flat=True)))
        messages.success(request, f"{count} other session{'s' if count != 1 else ''} signed out.")
        return redirect(reverse("account") + "#sessions-head")
    zone_post = request.POST if request.POST.get("action") == "zone" else None
    zone = ZoneForm(zone_post, initial={"time_zone": request.user.time_zone})
    if zone_post is not None:
        if zone.is_valid():
            with transaction.atomic():
                request.user.time_zone = zone.cleaned_data["time_zone"]
                request.user.save(update_fields=["time_zone"])
                record_event(
                    actor=request.user,
                    action="account.time_zone_changed",
                    obj=request.user,
                    data={"time_zone": request.user.time_zone},
                )
            messages.success(request, f"Times are now shown in {request.user.time_zone}.")
            return redirect("account")
        return _account_page(request, PasswordChangeForm(request.user), zone)
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            record_event(actor=user, action="account.password_changed", obj=user)
        update_session_auth_hash(request, user)  # stay signed in on this device only
        messages.success(request, "Password changed. Other sessions were signed out.")
        return redirect("account")
    return _account_page(request, form, zone)


def _account_page(request: HttpRequest, form: PasswordChangeForm, zone: ZoneForm) -> HttpResponse:
    form.fields["old_password"].widget.attrs.pop("autofocus", None)  # the page has two forms
    return render(
        request,
        "accounts/account.html",
        {
            "form": form,
            "zone": zone,
            "policy": password_validators_help_texts(),
            "nav": "account",
            "sessions": live_sessions(request.user),
            "current_session": request.session.session_key,
        },
        status=400 if form.errors or zone.errors else 200,
    )


PEOPLE_PAGE = 50


@allowed(may_administer)
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    """Everyone with an account: search by name, username or e-mail; filter by role."""
    found = User.objects.exclude(username=AUTOQA_USERNAME).prefetch_related("memberships__team")
    query = request.GET.get("q", "").strip()[:100]
    role = request.GET.get("role", "")
    if query:
        found = found.filter(
            Q(display_name__icontains=query)
            | Q(username__icontains=query)
            | Q(email__icontains=query)
        )
    if role in Role.values:
        found = found.filter(role=role)
    page = Paginator(found.order_by("display_name", "username"), PEOPLE_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/people.html",
        {"page": page, "q": query, "role": role, "roles": Role.choices, "nav": "people"},
    )


@allowed(may_administer)
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    person = get_in_scope(User.objects.all(), code, "person") if code else None
    initial = PersonForm.initial_for(person) if person else {}
    form = PersonForm(request.POST or None, person=person, initial=initial)
    if request.method == "POST" and form.is_valid():
        skills = {form.skill_names[n]: form.cleaned_data[n] for n in form.skill_names}
        try:
            saved = save_person(
                by=request.user, person=person, data=form.cleaned_data, skills=skills
            )
        except forms.ValidationError as refusal:
            form.add_error(None, refusal)
        else:
            messages.success(request, f"{saved.name} {'updated' if person else 'added'}.")
            return redirect("people")
    return render(
        request,
        "accounts/person.html",
        {"form": form, "person": person, "nav": "people"},
        status=400 if form.errors else 200,
    )


@allowed(may_administer)
@require_http_methods(["GET", "POST"])
def team_manage(request: HttpRequest) -> HttpResponse:
    """Teams: add one, or rename one (`team` names which)."""
    code = request.POST.get("team", "")
    team = get_in_scope(Team.objects.all(), code, "team") if code else None
    form = TeamForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        save_team(by=request.user, team=team, name=form.cleaned_data["name"])
        messages.success(request, "Team renamed." if team else "Team added.")
        return redirect("team-manage")
    teams = Team.objects.annotate(size=Count("memberships")).order_by("name")
    return render(
        request,
        "accounts/teams.html",
        {"form": form, "teams": teams, "renaming": team, "nav": "people"},
        status=400 if form.errors else 200,
    )
