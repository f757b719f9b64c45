"""Small request/response rules of our own: no caching of signed-in pages, each person's time
zone, kept configuration reads for page views, the client address, a page in the app's layout
for a wrong method."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_cache_control

from supportqa import configured


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


def zone_of(user: object) -> ZoneInfo | None:
    """A signed-in person's time zone, or None (the installation's) if unset or unknown."""
    name = getattr(user, "time_zone", "") if getattr(user, "is_authenticated", False) else ""
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def user_time_zone(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Times on pages, and the days a person picks in filters, are in their own time zone
    (Account page); stored times stay UTC."""

    def middleware(request: HttpRequest) -> HttpResponse:
        zone = zone_of(request.user)
        if zone is None:
            return get_response(request)
        timezone.activate(zone)
        try:
            return get_response(request)
        finally:
            timezone.deactivate()

    return middleware


def configuration_reads(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """A page view (GET, HEAD) reads the configuration through the process's kept reads
    (supportqa.configured); any other method reads it from the database."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return get_response(request)
        with configured.reading():
            return get_response(request)

    return middleware


def method_not_allowed_page(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Django answers a wrong method (e.g. opening a POST-only address) with an empty 405: give
    it the app's layout and a way back, keeping the Allow header."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.status_code == 405 and not response.content:
            response.content = render_to_string("405.html", request=request).encode()
            response["Content-Type"] = "text/html; charset=utf-8"
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
