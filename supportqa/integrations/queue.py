"""Web imports run in the worker, not in the web process: the upload is kept in the data folder
and a queued ImportRun points at it; a worker claims the run (supportqa.claims), imports the
file with the run's options, renews its claim after every batch, and deletes the file. A
worker killed half-way leaves the run claimed; the next worker takes it over and the import
resumes after its last committed batch."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q

from supportqa import claims
from supportqa.integrations.importer import ImportAborted, ImportFailed, import_file
from supportqa.integrations.kinds import KINDS
from supportqa.integrations.models import ImportRun


def _uploads() -> Path:
    folder = Path(settings.DATA_DIR) / "uploads"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def queue_import(*, kind: str, upload: UploadedFile, options: dict[str, Any], by: Any) -> ImportRun:
    """Keep the file and queue its import; returns the run the import page follows."""
    run = ImportRun(
        kind=kind,
        status=ImportRun.Status.QUEUED,
        batch_size=0 if KINDS[kind].upsert else settings.SUPPORTQA_IMPORT_BATCH,
        started_by=by,
        file_name=(upload.name or "")[:255],
        options=options,
    )
    path = _uploads() / f"{run.code}.upload"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    # The importer's fingerprint (file and options): a run it resumes is found by it.
    digest.update(json.dumps(_fingerprint_options(kind, options), sort_keys=True).encode())
    run.fingerprint = digest.hexdigest()
    run.upload = str(path.relative_to(settings.DATA_DIR))
    run.save()
    return run


def _fingerprint_options(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    if KINDS[kind].upsert is not None:
        return {"kind": kind}
    return {
        "kind": kind,
        "source": options.get("source"),
        "redact": options.get("redact", False),
        "create": options.get("create_missing", False),
        "strict": options.get("strict", False),
    }


def ready_imports() -> Any:
    """Queued web imports, and those whose worker died (resumed by the next)."""
    return ImportRun.objects.filter(
        Q(status=ImportRun.Status.QUEUED) | (claims.abandoned(ImportRun) & ~Q(upload=""))
    )


def run_queued_imports(worker: str, *, limit: int | None = None) -> int:
    """Claim and run queued imports one at a time until none is ready (or `limit` ran);
    returns how many ran."""
    done = 0
    while limit is None or done < limit:
        picked = claims.claim(ready_imports(), worker, 1)
        if not picked:
            return done
        _run(ImportRun.objects.get(pk=picked[0]), worker)
        done += 1
    return done


def _run(run: ImportRun, worker: str) -> None:
    path = Path(settings.DATA_DIR) / run.upload
    options = run.options
    try:
        import_file(
            run.kind,
            path,
            source=options.get("source"),
            strict=options.get("strict", False),
            redact=options.get("redact", False),
            create_missing=options.get("create_missing", False),
            by=run.started_by,
            file_name=run.file_name,
            run=run,
            on_batch_committed=lambda _: claims.renew(ImportRun, worker),
        )
    except ImportFailed:
        return  # recorded on the run; the file stays so that "Retry" resumes it
    except ImportAborted:
        pass  # strict mode refused the file: recorded on the run
    path.unlink(missing_ok=True)
    ImportRun.objects.filter(pk=run.pk).update(upload="")


def retry(run: ImportRun) -> bool:
    """Queue a failed web import again (it resumes after its last committed batch)."""
    if run.status != ImportRun.Status.FAILED or not run.upload:
        return False
    return bool(
        ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.FAILED).update(
            status=ImportRun.Status.QUEUED, failure=""
        )
    )
