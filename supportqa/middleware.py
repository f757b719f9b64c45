"""Small request/response rules of our own: no caching of signed-in pages, the client address."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


def no_store_for_signed_in(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Pages and exports for a signed-in person carry personal data: browsers and proxies must
    not keep them (`Cache-Control: no-store`). Static files are served before this runs."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response

    return middleware


def client_ip(request: HttpRequest) -> str:
    """The address login throttling counts. Behind the HTTPS proxy (SUPPORTQA_HTTPS) it is the
    address the proxy appended to X-Forwarded-For (the right-most: a client can forge the
    ones before it); otherwise the connection's."""
    if settings.HTTPS:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return str(request.META.get("REMOTE_ADDR", ""))
