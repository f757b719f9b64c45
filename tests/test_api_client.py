"""docs/api.md's client script, run as written against a live server: it imports a
conversation, reads its agent's KPIs and receives the signed webhook the worker posts."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from supportqa.api import tokens, webhooks
from supportqa.api.models import Delivery, Webhook
from supportqa.conversations.models import Conversation

# A live server, like the browser tests, and restored the same way for the tests after it.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def client_script() -> str:
    text = DOCS.read_text().split("## A client, start to finish", 1)[1]
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_documented_client_imports_reads_kpis_and_gets_a_signed_webhook(
    live_server, cast, tmp_path, settings
):
    settings.SUPPORTQA_WEBHOOKS_PRIVATE_ADDRESSES = True  # the receiver is on this machine
    port = free_port()
    hook = Webhook.objects.create(
        url=f"http://127.0.0.1:{port}/", secret=webhooks.new_secret(), events=["import.finished"]
    )
    made = tokens.make(
        user=cast.admin, name="client",
        scopes=["conversations:read", "conversations:write", "kpis:read"], days=1,
    )  # fmt: skip
    script = tmp_path / "client.py"
    script.write_text(client_script())
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(SUPPORTQA_URL=live_server.url, SUPPORTQA_TOKEN=made.secret,
               SUPPORTQA_WEBHOOK_SECRET=hook.secret, WEBHOOK_PORT=str(port),
               SUPPORTQA_AGENT=cast.agent.username)  # fmt: skip
    client = subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    lines = []
    for line in client.stdout:  # the client's own lines are the synchronisation
        lines.append(line.strip())
        if line.startswith("kpis:"):
            assert webhooks.deliver_due("test-worker") == 1  # what `supportqa worker` does
    assert client.wait(timeout=60) == 0, client.stderr.read()
    imported, kpis, webhook, received = lines
    assert imported == "imported: 1 created, 0 updated, errors []"
    recent = Conversation.objects.filter(
        agent=cast.agent, created_at__gte=timezone.now() - timedelta(days=30)
    ).count()
    assert recent >= 1  # the new one at least
    assert kpis == f"kpis: {recent} conversations; CSAT None (95% interval None–None, n=0)"
    assert webhook.startswith("webhook: import.finished ")
    assert received == "received"
    conversation = Conversation.objects.get(source="helpdesk")
    assert conversation.agent == cast.agent and conversation.message_count == 2
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("delivered", 204, 1)
