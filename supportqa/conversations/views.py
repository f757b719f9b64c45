"""Request categorization from the web (workflow step 2): admins train the categorizer on the
categorized conversations and categorize the others. The review workspace and the
conversation list are the reviews app's."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from supportqa.accounts.permissions import allowed, may_administer
from supportqa.conversations.categorize import (
    DEFAULT_CONFIDENCE,
    categorize_uncategorized,
    current_model,
    model_path,
    train_from_conversations,
)
from supportqa.conversations.forms import CategorizeForm
from supportqa.conversations.models import Conversation
from supportqa.core.classify import ModelError, embeddings_available


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
        "conversations/categorize.html",
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
