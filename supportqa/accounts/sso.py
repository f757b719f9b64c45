"""Optional single sign-on through OpenID Connect (mozilla-django-oidc), off unless
SUPPORTQA_OIDC_CLIENT_ID is set. The identity provider vouches for an e-mail address; the
person must already have an active SupportQA account with that address (an admin makes
people and gives them their role: SSO never creates an account or changes a role). Signing
in this way is signing in: the session list, the second factor and the audit log apply."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from supportqa.accounts.models import User
from supportqa.accounts.permissions import allowed, anyone


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def provider_name() -> str:
    """The login page's "Sign in with …" ("" when SSO is off)."""
    return settings.SUPPORTQA_OIDC_NAME if enabled() else ""


class Backend(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        email = claims.get("email")
        if not email:
            return User.objects.none()
        return User.objects.filter(email__iexact=email, is_active=True)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        """An address the provider has not verified does not open an account."""
        return bool(claims.get("email")) and claims.get("email_verified", True) is not False


def _when_on(view_class: Any) -> Any:
    """The library's view, which does not exist (404) while SSO is off."""
    inner = view_class.as_view()

    @allowed(anyone)
    @login_not_required
    def view(request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404("Single sign-on is not set up")
        return inner(request)

    return view


start = _when_on(OIDCAuthenticationRequestView)
callback = _when_on(OIDCAuthenticationCallbackView)
