"""The administration site: admins only (anyone else gets a 404, as for every admin page), and
every change made through it recorded in the hash-chained audit log with the values changed."""

from __future__ import annotations

from functools import update_wrapper
from typing import Any

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator

from supportqa.accounts.permissions import may_administer
from supportqa.audit.actions import record_event

_SECRET_FIELDS = ("password",)


class AuditedAdmin(admin.ModelAdmin):
    """Mixed into every model admin the site registers (see `SupportQAAdminSite.register`):
    the form's changed fields (old → new) and inline changes go into the audit event that
    Django's own change log triggers."""

    def save_model(self, request: HttpRequest, obj: Model, form: BaseForm, change: bool) -> None:
        _pending(request, obj).update(_changes(form))
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        changes = _pending(request, form.instance)
        for index, inline in enumerate(formset.forms):
            if inline.has_changed():
                deleted = formset.can_delete and formset._should_delete_form(inline)
                key = f"{formset.model._meta.model_name}[{index}]"
                changes[key] = "deleted" if deleted else _changes(inline)
        super().save_formset(request, form, formset, change)

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        _record(request, "admin.added", obj)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        _record(request, "admin.changed", obj, message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        with transaction.atomic():
            for obj in queryset:
                _record(request, "admin.deleted", obj)
        return super().log_deletions(request, queryset)


def _pending(request: HttpRequest, obj: Model) -> dict[str, Any]:
    store = request.__dict__.setdefault("_audit_changes", {})
    return store.setdefault(id(obj), {})


def _shown(name: str, value: Any) -> Any:
    if any(secret in name for secret in _SECRET_FIELDS):
        return "(not recorded)"
    if isinstance(value, QuerySet | list | tuple | set):
        return sorted(str(v) for v in value)
    return None if value is None else str(value)


def _changes(form: BaseForm) -> dict[str, Any]:
    """{field: [before, after]} for the form's changed fields (secrets not recorded)."""
    out: dict[str, Any] = {}
    for name in form.changed_data:
        before = form.initial.get(name)
        queryset = getattr(form.fields[name], "queryset", None)
        if queryset is not None and before is not None:  # stored as ids: name the objects
            many = isinstance(before, list | tuple)
            ids = [getattr(i, "pk", i) for i in (before if many else [before])]
            found = list(queryset.model._default_manager.filter(pk__in=ids))
            before = found if many else (found[0] if found else None)
        out[name] = [_shown(name, before), _shown(name, form.cleaned_data.get(name))]
    return out


def _record(request: HttpRequest, action: str, obj: Model, message: Any = None) -> None:
    changes = request.__dict__.get("_audit_changes", {}).pop(id(obj), {})
    data: dict[str, Any] = {"model": obj._meta.label, "object": str(obj)[:200]}
    if changes:
        data["changes"] = changes
    if isinstance(message, str) and message:  # e.g. "Changed password."
        data["message"] = message[:500]
    elif message and not changes:
        data["message"] = str(message)[:500]
    record_event(actor=request.user, action=action, obj=obj, data=data)


class SupportQAAdminSite(admin.AdminSite):
    site_header = "SupportQA administration"
    site_title = "SupportQA administration"
    index_title = "Administration"

    def has_permission(self, request: HttpRequest) -> bool:
        return may_administer(request.user)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            _refuse_non_admins(request)
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)

    @method_decorator(login_not_required)
    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """One login page for the whole product: the site's own form is never shown."""
        _refuse_non_admins(request)
        target = reverse("admin:index", current_app=self.name)
        if request.user.is_authenticated:
            return redirect(target)
        return redirect_to_login(request.GET.get("next") or target)

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, AuditedAdmin):
            base = type(base.__name__, (AuditedAdmin, base), {"__module__": base.__module__})
        super().register(model_or_iterable, base, **options)


def _refuse_non_admins(request: HttpRequest) -> None:
    if request.user.is_authenticated and not may_administer(request.user):
        raise Http404("No such page")
