from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportqa.accounts.access import agents_for, get_in_scope, teams_for
from supportqa.accounts.permissions import (
    allowed,
    may_browse_conversations,
    may_import,
)
from supportqa.conversations.access import conversations_for
from supportqa.core.csvcells import in_pieces
from supportqa.integrations import exporting
from supportqa.integrations.forms import ImportForm
from supportqa.integrations.models import ImportRun
from supportqa.integrations.queue import queue_import, retry
from supportqa.reviews.access import reviews_for
from supportqa.reviews.forms import ConversationFilter
from supportqa.uploads import over_the_upload_limit


@allowed(may_import)
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and over_the_upload_limit(request):
        limit = settings.SUPPORTQA_MAX_UPLOAD_BYTES // (1024 * 1024)
        return _import_form(
            request, ImportForm(), f"The file is larger than {limit} MB: nothing was read.", 413
        )
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        run = queue_import(
            kind=data["kind"],
            upload=data["file"],
            options=form.options(),
            by=request.user,
        )
        messages.success(request, f"{run.file_name}: queued. This page follows the import.")
        return redirect("import-run", code=run.code)
    return _import_form(request, form, "", 400 if form.is_bound else 200)


def _import_form(request: HttpRequest, form: ImportForm, error: str, status: int) -> HttpResponse:
    runs = ImportRun.objects.select_related("started_by")[:20]
    return render(
        request,
        "integrations/import.html",
        {
            "form": form,
            "runs": runs,
            "upload_error": error,
            "max_upload_mb": settings.SUPPORTQA_MAX_UPLOAD_BYTES // (1024 * 1024),
        },
        status=status,
    )


@allowed(may_import)
@require_GET
def import_run(request: HttpRequest, code: str) -> HttpResponse:
    """A run and its rows' problems; while it waits or runs, the page refreshes itself."""
    run = get_in_scope(ImportRun.objects.select_related("started_by"), code, "import")
    waiting = run.status in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING) and run.upload
    stuck = (
        waiting
        and run.status == ImportRun.Status.QUEUED
        and (timezone.now() - run.started_at > timedelta(minutes=1))
    )
    return render(
        request, "integrations/run.html", {"run": run, "waiting": waiting, "stuck": stuck}
    )


@allowed(may_import)
@require_POST
def import_retry(request: HttpRequest, code: str) -> HttpResponse:
    run = get_in_scope(ImportRun.objects.all(), code, "import")
    if retry(run):
        messages.success(request, "Queued again: it resumes after its last written batch.")
    else:
        messages.error(request, "Only a failed web import can be retried.")
    return redirect("import-run", code=run.code)


CONTENT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}


@allowed(may_browse_conversations)
@require_GET
def export(request: HttpRequest, what: str, fmt: str) -> HttpResponse:
    """Conversations or reviews in the user's scope, narrowed by the conversation filters."""
    if (what, fmt) not in exporting.WRITERS:
        raise Http404("No such export")
    user = request.user
    form = ConversationFilter(request.GET or None, agents=agents_for(user), teams=teams_for(user))
    conversations = conversations_for(user)
    if form.is_bound:
        if not form.is_valid():
            return HttpResponse(
                f"Bad filter: {form.errors.as_text()}", status=400, content_type="text/plain"
            )
        conversations = form.apply(conversations, reviews_for(user).counting_toward_iqs())
    rows = (
        conversations
        if what == "conversations"
        else reviews_for(user).filter(conversation__in=conversations)
    )
    response = StreamingHttpResponse(
        in_pieces(exporting.export_lines(what, fmt, rows)), content_type=CONTENT_TYPES[fmt]
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="supportqa-{what}-{stamp}.{fmt}"'
    return response
