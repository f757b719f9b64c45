from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from supportqa.accounts.access import agents_for, teams_for
from supportqa.accounts.permissions import (
    allowed,
    may_administer,
    may_browse_conversations,
    may_import,
)
from supportqa.conversations.access import conversations_for
from supportqa.conversations.categorize import (
    DEFAULT_CONFIDENCE,
    categorize_uncategorized,
    current_model,
    model_path,
    train_from_conversations,
)
from supportqa.conversations.forms import ConversationFilter
from supportqa.conversations.models import Conversation
from supportqa.core.classify import ModelError, embeddings_available
from supportqa.integrations import exporting
from supportqa.integrations.importer import ImportAborted, ImportFailed, import_file
from supportqa.integrations.kinds import KINDS
from supportqa.integrations.models import ImportRun
from supportqa.reviews.access import reviews_for
from supportqa.uploads import too_large


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=list(KINDS.items()))
    file = forms.FileField()
    source = forms.CharField(
        required=False, max_length=64, help_text="For records that do not name their source."
    )
    strict = forms.BooleanField(
        required=False, help_text="Write nothing if any row is bad or has a warning."
    )
    redact = forms.BooleanField(
        required=False, help_text="Mask e-mails, phone and card numbers in messages."
    )
    create_missing = forms.BooleanField(
        required=False, help_text="Create unknown agents, teams and categories."
    )


@allowed(may_import)
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and _over_the_upload_limit(request):
        limit = settings.SUPPORTQA_MAX_UPLOAD_BYTES // (1024 * 1024)
        return _import_form(
            request, ImportForm(), f"The file is larger than {limit} MB: nothing was read.", 413
        )
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            report = import_file(
                data["kind"],
                upload.read(),
                source=data["source"] or None,
                strict=data["strict"],
                redact=data["redact"],
                create_missing=data["create_missing"],
                by=request.user,
                file_name=upload.name,
            )
        except (ImportAborted, ImportFailed) as stopped:
            messages.error(request, str(stopped))
            report = stopped.report
        else:
            messages.success(request, f"{upload.name}: {report.summary()}")
        return redirect("import-run", code=report.run_code)
    return _import_form(request, form, "", 400 if form.is_bound else 200)


def _over_the_upload_limit(request: HttpRequest) -> bool:
    """Checked before the body is parsed: a declared length over the limit is refused without
    reading it; an undeclared one is stopped by the upload handler as it passes the limit."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if (
        declared.isascii()
        and declared.isdigit()
        and int(declared) > settings.SUPPORTQA_MAX_UPLOAD_BYTES
    ):
        return True
    request.FILES  # parses the body through the size-limited handler  # noqa: B018
    return too_large(request)


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
    run = ImportRun.objects.filter(code=code).first()
    if run is None:
        raise Http404("No such import")
    return render(request, "integrations/run.html", {"run": run})


EXPORTS = {
    ("conversations", "csv"): (exporting.conversation_csv, "text/csv"),
    ("conversations", "jsonl"): (exporting.conversation_jsonl, "application/x-ndjson"),
    ("reviews", "csv"): (exporting.review_csv, "text/csv"),
    ("reviews", "jsonl"): (exporting.review_jsonl, "application/x-ndjson"),
}


@allowed(may_browse_conversations)
@require_GET
def export(request: HttpRequest, what: str, fmt: str) -> HttpResponse:
    """Conversations or reviews in the user's scope, narrowed by the conversation filters."""
    if (what, fmt) not in EXPORTS:
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
    writer, content_type = EXPORTS[(what, fmt)]
    rows = (
        conversations
        if what == "conversations"
        else reviews_for(user).filter(conversation__in=conversations)
    )
    response = StreamingHttpResponse(writer(rows), content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="supportqa-{what}-{stamp}.{fmt}"'
    return response


class CategorizeForm(forms.Form):
    action = forms.ChoiceField(choices=[("train", "train"), ("apply", "apply")])
    embeddings = forms.BooleanField(
        required=False,
        label="Add sentence embeddings (MiniLM)",
        help_text="More accurate, slower to train; needs the optional embeddings extra.",
    )
    minimum_confidence = forms.FloatField(
        min_value=0.0,
        max_value=1.0,
        initial=DEFAULT_CONFIDENCE,
        required=False,
        help_text="Categorize only where the model is at least this sure (0–1).",
    )


@allowed(may_administer)
@require_http_methods(["GET", "POST"])
def categorize_page(request: HttpRequest) -> HttpResponse:
    """Train the request categorizer on categorized conversations; apply it to the others."""
    form = CategorizeForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
            return redirect("categorize")
        try:
            if form.cleaned_data["action"] == "train":
                trained = train_from_conversations(
                    request.user, embeddings=form.cleaned_data["embeddings"]
                )
                messages.success(
                    request,
                    f"Trained on {trained.examples} conversations in {trained.labels} "
                    f"categories: {trained.accuracy:.1%} right on {trained.held_out} held out.",
                )
            else:
                confidence = form.cleaned_data["minimum_confidence"]
                done, left = categorize_uncategorized(
                    request.user, DEFAULT_CONFIDENCE if confidence is None else confidence
                )
                messages.success(
                    request, f"{done} conversations categorized; {left} left to a person."
                )
        except ModelError as exc:
            messages.error(request, str(exc))
        return redirect("categorize")
    _, facts = current_model()
    return render(
        request,
        "integrations/categorize.html",
        {
            "form": form,
            "facts": facts,
            "categorized": Conversation.objects.filter(category__isnull=False).count(),
            "uncategorized": Conversation.objects.filter(category__isnull=True).count(),
            "nav": "categorize",
            "embeddings_available": embeddings_available(),
        },
    )


@allowed(may_administer)
@require_GET
def categorizer_download(request: HttpRequest) -> HttpResponse:
    path = model_path()
    if not path.exists():
        raise Http404("No model trained yet")
    return FileResponse(path.open("rb"), as_attachment=True, filename="categorizer.joblib")
