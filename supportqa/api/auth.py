"""Who is calling and what they may do: a token (or a signed-in browser session), the page's
own capability check (without it the resource does not exist for them: 404), the token's
scopes (403), and one audit event for every use of a token."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from supportqa.accounts.permissions import Check, signed_in
from supportqa.api import tokens
from supportqa.api.models import ApiToken
from supportqa.audit.actions import acting_via, record_event
from supportqa.middleware import client_ip


class BearerToken(authentication.BaseAuthentication):
    """`Authorization: Bearer sqa_…`."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("give the token after “Bearer ”, alone")
        try:
            token = tokens.check(header[1].decode("latin-1"), client_ip(request._request))
        except tokens.TokenRefused as refused:
            raise exceptions.AuthenticationFailed(str(refused)) from None
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="SupportQA API"'


def handles(view: Any, request: Request) -> bool:
    """Whether the endpoint has this method at all (if not, DRF answers 405, and no check
    about scopes or parameters should answer first)."""
    return hasattr(view, request.method.lower())


class Allowed(permissions.BasePermission):
    """The view's capability (the page's check): without it, 404. With a token, the token's
    scope for the view's resource: without it, 403 naming what is missing."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not handles(view, request):
            return True
        write = request.method not in permissions.SAFE_METHODS
        kind = type(view)  # (read from the class: an instance would bind the function)
        check: Check = getattr(kind, "write_capability", None) if write else None
        check = check or getattr(kind, "capability", signed_in)
        if not check(request.user):
            raise exceptions.NotFound(gettext_lazy("No such resource."))
        token = request.auth
        if isinstance(token, ApiToken) and not tokens.allows(token, view.resource, write):
            mode = "write" if write else "read"
            raise exceptions.PermissionDenied(f"this token may not {mode} {view.resource}")
        return True


class Attributed:
    """Mixed into every API view: while a token's request runs, every audit event it causes
    names the token, and in UTC (times and days alike, whoever calls); then the use itself is
    recorded, refused or not, one event per request."""

    _via: Any = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if isinstance(request.auth, ApiToken):
            self._via = acting_via(f"api-token:{request.auth.prefix}")
            self._via.__enter__()

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = None
        try:
            with timezone.override(UTC):
                response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
            return response
        finally:
            if self._via is not None:  # (also when the view failed: never left set)
                self._via.__exit__(None, None, None)
                self._via = None
            token = getattr(getattr(self, "request", None), "_auth", None)
            if isinstance(token, ApiToken):
                status = 500 if response is None else response.status_code
                with transaction.atomic():
                    record_event(
                        actor=token.user, action="api.request", obj=token,
                        data={"token": token.prefix, "method": request.method,
                              "path": request.path[:300], "status": status},
                    )  # fmt: skip


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """The token, as the OpenAPI schema describes it."""

    target_class = BearerToken
    name = "token"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "sqa_<prefix>_<secret>"}
