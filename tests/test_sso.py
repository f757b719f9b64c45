"""Single sign-on through OpenID Connect, against a local stand-in identity provider: the
authorization code flow with state, nonce and PKCE, an HS256-signed ID token, userinfo."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.test import Client

SECRET = "stub-client-secret-long-enough-for-hs256"


class Provider:
    """Answers the token and userinfo requests for whoever `person` is, with the nonce the
    authorization request carried."""

    def __init__(self) -> None:
        self.person: dict = {}
        self.nonce = ""
        self.token_requests: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the token endpoint
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                provider.token_requests.append(parse_qs(body))
                claims = {
                    "iss": "stub",
                    "aud": "supportqa",
                    "sub": "u-1",
                    "exp": int(time.time()) + 300,
                    "iat": int(time.time()),
                    "nonce": provider.nonce,
                    "email": provider.person.get("email"),
                }
                self._json({"access_token": "at-1", "token_type": "Bearer",
                            "id_token": jwt.encode(claims, SECRET, algorithm="HS256")})  # fmt: skip

            def do_GET(self) -> None:  # userinfo
                self._json({"sub": "u-1", **provider.person})

            def _json(self, body: dict) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body).encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def provider(settings):
    stub = Provider()
    settings.OIDC_RP_CLIENT_ID = "supportqa"
    settings.OIDC_RP_CLIENT_SECRET = SECRET
    settings.OIDC_RP_SIGN_ALGO = "HS256"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://idp.example/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{stub.url}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{stub.url}/userinfo"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS,
                                        "supportqa.accounts.sso.Backend"]  # fmt: skip
    yield stub
    stub.server.shutdown()
    stub.server.server_close()


def sign_in(client: Client, provider: Provider, person: dict, next_page: str = "/queue/"):
    """The browser's part: to the provider and back with a code."""
    start = client.get(f"/oidc/authenticate/?next={next_page}")
    assert start.status_code == 302
    asked = parse_qs(urlsplit(start["Location"]).query)
    assert start["Location"].startswith("https://idp.example/authorize?")
    assert asked["client_id"] == ["supportqa"] and asked["code_challenge_method"] == ["S256"]
    provider.person, provider.nonce = person, asked["nonce"][0]
    return client.get(f"/oidc/callback/?code=c-1&state={asked['state'][0]}")


def test_a_person_signs_in_through_the_identity_provider(cast, provider):
    client = Client()
    answer = sign_in(client, provider, {"email": "QA@example.test", "email_verified": True})
    assert answer.status_code == 302 and answer["Location"] == "/queue/"
    assert client.get("/queue/").status_code == 200  # signed in as the QA reviewer
    assert client.session["_auth_user_id"] == str(cast.qa.pk)
    sent = provider.token_requests[0]
    assert sent["code"] == ["c-1"] and "code_verifier" in sent  # PKCE


def test_no_account_or_an_unverified_address_opens_nothing(cast, provider):
    for person in ({"email": "stranger@example.test"},
                   {"email": "qa@example.test", "email_verified": False}):  # fmt: skip
        client = Client()
        answer = sign_in(client, provider, person)
        assert answer.status_code == 302 and answer["Location"] == "/login/?sso=failed"
        assert "_auth_user_id" not in client.session
    page = Client().get("/login/?sso=failed").content.decode()
    assert "no active SupportQA account has the address" in page


def test_a_tampered_state_is_refused(cast, provider):
    client = Client()
    client.get("/oidc/authenticate/")
    answer = client.get("/oidc/callback/?code=c-1&state=forged")
    assert answer.status_code in (302, 400) and "_auth_user_id" not in client.session


def test_the_second_factor_still_applies(cast, provider):
    from tests.test_two_factor import signed_in, turn_on

    turn_on(signed_in(cast.qa))
    client = Client()
    sign_in(client, provider, {"email": "qa@example.test"})
    assert client.get("/queue/")["Location"].startswith("/account/two-factor/verify/")


def test_it_is_off_unless_configured(cast):
    assert Client().get("/oidc/authenticate/").status_code == 404
    assert "Sign in with" not in Client().get("/login/").content.decode()


def test_the_login_page_offers_it_when_on(cast, provider, settings):
    settings.SUPPORTQA_OIDC_NAME = "Okta"
    assert "Sign in with Okta" in Client().get("/login/").content.decode()
