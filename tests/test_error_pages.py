"""Error pages are in the app's layout, say what happened and lead back home."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse


def test_a_page_out_of_scope_is_a_404_in_the_layout(cast):
    response = cast.client(cast.agent).get(reverse("team-list"))
    page = response.content.decode()
    assert response.status_code == 404
    assert "This page is not here" in page and 'class="topbar"' in page
    assert f'href="{reverse("home")}"' in page


def test_a_wrong_method_is_a_405_in_the_layout_with_its_allow_header(cast):
    response = cast.client(cast.agent).get(reverse("notifications-read"))
    assert response.status_code == 405 and response["Allow"] == "POST"
    page = response.content.decode()
    assert "not opened this way" in page and "Back to your home page" in page


def test_a_form_without_its_csrf_token_explains_itself(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.agent)
    response = client.post(reverse("notifications-read"))
    assert response.status_code == 403
    assert "This form could not be sent" in response.content.decode()


def test_an_anonymous_visitor_is_offered_to_sign_in(db):
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Sign in" in page and 'class="topbar"' not in page  # no menu for strangers
