"""Requests the server makes to addresses people typed (feeds, webhooks): only http(s), and no
private, loopback, link-local or reserved address unless the installation allows it (the
server sits inside a network a typed address must not reach into)."""

from __future__ import annotations

import ipaddress
import socket
import urllib.request
from typing import Any
from urllib.parse import urlsplit


def check_address(url: str, *, allow_private: bool, what: str = "address") -> None:
    """Raises ValueError saying why `url` may not be requested."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"a {what} starts with http:// or https://")
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise ValueError(f"no server called {parts.hostname} can be found from here") from None
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            raise ValueError(f"{parts.hostname} is a private address ({ip})")


def opener(*, allow_private: bool, follow_redirects: bool = True) -> urllib.request.OpenerDirector:
    """An opener whose redirects are checked like the first address (or not followed)."""

    class Checked(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                             newurl: str) -> Any:  # fmt: skip
            if not follow_redirects:
                return None  # the 3xx itself is the answer
            check_address(newurl, allow_private=allow_private)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(Checked)
