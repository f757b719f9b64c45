"""Uploads above SUPPORTQA_MAX_UPLOAD_MB are refused while they arrive, before any of them is
kept in memory or on disk."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


def too_large(request: Any) -> bool:
    """Whether the request's upload was refused for its size (the view says so)."""
    return bool(getattr(request, "upload_too_large", False))


class SizeLimitedUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: refuses a body whose declared length is over the limit
    before reading it, and stops an undeclared (chunked) one as soon as it passes the limit."""

    def handle_raw_input(
        self,
        input_data: Any,
        META: Any,
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        self.received = 0
        if content_length and content_length > settings.SUPPORTQA_MAX_UPLOAD_BYTES:
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.SUPPORTQA_MAX_UPLOAD_BYTES:
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _refuse(self) -> None:
        if self.request is not None:
            self.request.upload_too_large = True
        raise StopUpload(connection_reset=False)


def over_the_upload_limit(request: Any) -> bool:
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
