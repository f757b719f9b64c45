"""Run an import: parse, validate, resolve, write in atomic batches, record progress.

1. The run is identified by a fingerprint of the file's bytes and the options. An unfinished run
   with the same fingerprint is resumed: batches already committed are parsed but not rewritten.
2. Each batch (records and errors alike, in file order) is written in one transaction together
   with the run's progress counter, so a run killed at any point resumes exactly.
3. Strict mode writes everything in one transaction and rolls it back if any row is bad.
4. Re-running a finished import finds every conversation unchanged (content hash) and writes
   nothing.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from supportqa.audit.actions import record_event
from supportqa.core.redact import redact as redact_text
from supportqa.integrations import background, formats
from supportqa.integrations.models import ImportRun
from supportqa.integrations.records import ConversationRecord, RowError, dedupe, parse_native
from supportqa.integrations.writer import BatchResult, ConversationWriter

MAX_STORED_ERRORS = 1000
ECHO_BATCHES = os.environ.get("SUPPORTQA_IMPORT_ECHO_BATCHES") == "1"
CONVERSATION_FORMATS = ("native", "csv", "twitter")


class ImportAborted(Exception):
    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"strict import aborted: {report.error_count} bad rows, nothing written")
        self.report = report


@dataclass
class ImportReport:
    run_code: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    resumed_from: int = 0

    def add_errors(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.error_count += 1
            if len(self.errors) < MAX_STORED_ERRORS:
                self.errors.append(error)

    def summary(self) -> str:
        text = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.error_count} rejected"
        )
        if self.resumed_from:
            text += f" (resumed after {self.resumed_from} records)"
        return text


def read_source(path_or_bytes: Path | bytes) -> bytes:
    return path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()


def parse(kind: str, data: bytes, source: str | None) -> Iterator[ConversationRecord | RowError]:
    """The file's records and bad rows in file order; a large file is parsed in a second
    process while the caller writes (background.py)."""
    if kind not in CONVERSATION_FORMATS:
        raise ValueError(f"unknown conversation format {kind!r}; use one of {CONVERSATION_FORMATS}")

    def produce() -> Iterator[ConversationRecord | RowError]:
        if kind == "native":
            return dedupe(parse_native(data.splitlines(), source or "native"))
        if kind == "csv":
            return dedupe(formats.parse_message_csv(data, source or "csv"))
        return dedupe(formats.parse_twitter(data, source or "twitter"))

    if background.worthwhile(len(data)):
        return background.in_child(produce, settings.SUPPORTQA_IMPORT_BATCH)
    return produce()


def fingerprint(data: bytes, options: dict[str, Any]) -> str:
    digest = hashlib.sha256(data)
    digest.update(json.dumps(options, sort_keys=True).encode())
    return digest.hexdigest()


def import_conversations(
    data: Path | bytes,
    *,
    kind: str = "native",
    source: str | None = None,
    strict: bool = False,
    redact: bool = False,
    create_missing: bool = False,
    by: Any = None,
    file_name: str = "",
    progress: bool = False,
    on_batch_committed: Callable[[ImportRun], None] | None = None,
) -> ImportReport:
    raw = read_source(data)
    options = {
        "kind": kind,
        "source": source,
        "redact": redact,
        "create": create_missing,
        "strict": strict,
    }
    batch_size = settings.SUPPORTQA_IMPORT_BATCH
    run = _start_run(kind, fingerprint(raw, options), batch_size, by, file_name, strict)
    report = ImportReport(run_code=run.code, resumed_from=run.items_done)
    writer = ConversationWriter(create_missing=create_missing)
    items = parse(kind, raw, source)
    bar = tqdm(items, unit=" conv", disable=not progress, desc=f"import {kind}")
    with _collector_paused():
        if strict:
            _run_strict(bar, run, report, writer, redact)
        else:
            _run_batches(bar, run, report, writer, redact, batch_size, on_batch_committed)
    return report


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the run. A batch holds tens of thousands of
    young objects, and the collector's repeated passes over them and over everything already
    loaded cost a sixth of a large import (bench/import.py). Reference counting still frees
    each batch as soon as it is written; the few cycles are collected when the run ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _start_run(
    kind: str, print_: str, batch_size: int, by: Any, file_name: str, strict: bool
) -> ImportRun:
    if not strict:
        unfinished = ImportRun.objects.filter(
            fingerprint=print_, status=ImportRun.Status.RUNNING, batch_size=batch_size
        ).first()
        if unfinished is not None:
            return unfinished
    return ImportRun.objects.create(
        kind=kind,
        fingerprint=print_,
        batch_size=batch_size,
        started_by=by,
        file_name=file_name[:255],
    )


def _write_batch(
    chunk: list[Any], writer: ConversationWriter, redact: bool
) -> tuple[BatchResult, list[RowError]]:
    errors = [item for item in chunk if isinstance(item, RowError)]
    resolved = []
    for item in chunk:
        if isinstance(item, ConversationRecord):
            outcome = writer.resolve(item.redacted(redact_text) if redact else item)
            (errors if isinstance(outcome, RowError) else resolved).append(outcome)
    return writer.write(resolved), errors


def _run_batches(
    items: Iterable[Any],
    run: ImportRun,
    report: ImportReport,
    writer: ConversationWriter,
    redact: bool,
    batch_size: int,
    on_batch_committed: Callable[[ImportRun], None] | None,
) -> None:
    done = 0
    for chunk in formats.iter_chunks(items, batch_size):
        done += len(chunk)
        if done <= run.items_done:
            continue  # committed by an earlier, interrupted attempt
        with transaction.atomic():
            result, errors = _write_batch(chunk, writer, redact)
            _advance(run, done, result, errors)
        if on_batch_committed is not None:
            on_batch_committed(run)
        if ECHO_BATCHES:  # lets tests (and operators) follow committed progress
            print(f"batch committed {run.items_done}", flush=True)
    with transaction.atomic():
        _finish(run, ImportRun.Status.COMPLETED, run.started_by)
    # The run, not this process, holds the totals: it includes batches of earlier attempts.
    report.created, report.updated, report.unchanged = run.created, run.updated, run.unchanged
    report.error_count = run.error_count
    report.errors = [RowError(**e) for e in run.errors]


def _advance(run: ImportRun, done: int, result: BatchResult, errors: list[RowError]) -> None:
    run.items_done = done
    run.created += result.created
    run.updated += result.updated
    run.unchanged += result.unchanged
    run.error_count += len(errors)
    room = MAX_STORED_ERRORS - len(run.errors)
    run.errors = run.errors + [e.__dict__ for e in errors[: max(room, 0)]]
    run.save(
        update_fields=["items_done", "created", "updated", "unchanged", "error_count", "errors"]
    )


def _finish(run: ImportRun, status: str, actor: Any) -> None:
    """Close a run and audit it with its totals. Call inside a transaction."""
    run.status = status
    run.finished_at = timezone.now()
    run.save()
    record_event(
        actor=actor,
        action=f"import.{run.kind}",
        obj=run,
        data={
            "status": run.status,
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "errors": run.error_count,
        },
    )


class _Rollback(Exception):
    pass


def _run_strict(
    items: Iterable[Any],
    run: ImportRun,
    report: ImportReport,
    writer: ConversationWriter,
    redact: bool,
) -> None:
    totals = BatchResult()
    try:
        with transaction.atomic():
            for chunk in formats.iter_chunks(items, settings.SUPPORTQA_IMPORT_BATCH):
                result, errors = _write_batch(chunk, writer, redact)
                totals.add(result)
                report.add_errors(errors)
            if report.error_count:
                raise _Rollback
            _advance(run, 0, totals, [])
            _finish(run, ImportRun.Status.COMPLETED, run.started_by)
    except _Rollback:
        run.error_count = report.error_count
        run.errors = [e.__dict__ for e in report.errors]
        with transaction.atomic():
            _finish(run, ImportRun.Status.ABORTED, run.started_by)
        raise ImportAborted(report) from None
    report.created, report.updated, report.unchanged = (
        totals.created,
        totals.updated,
        totals.unchanged,
    )


# --- surveys and people (small files: one transaction for the whole file) ----------------------


def import_surveys(
    data: Path | bytes,
    *,
    source: str | None = None,
    strict: bool = False,
    by: Any = None,
    file_name: str = "",
) -> ImportReport:
    from supportqa.surveys.actions import upsert_survey_responses

    raw = read_source(data)
    items = list(formats.parse_surveys(raw, source or "csv"))
    return _import_small("surveys", raw, items, upsert_survey_responses, strict, by, file_name)


def import_users(
    data: Path | bytes, *, strict: bool = False, by: Any = None, file_name: str = ""
) -> ImportReport:
    from supportqa.accounts.actions import upsert_users

    raw = read_source(data)
    items = list(formats.parse_users(raw))
    return _import_small("users", raw, items, upsert_users, strict, by, file_name)


def _import_small(
    kind: str,
    raw: bytes,
    items: list[Any],
    upsert: Callable[..., Any],
    strict: bool,
    by: Any,
    file_name: str,
) -> ImportReport:
    report = ImportReport()
    report.add_errors(i for i in items if isinstance(i, RowError))
    records = [i for i in items if not isinstance(i, RowError)]
    run = ImportRun(
        kind=kind,
        fingerprint=fingerprint(raw, {"kind": kind}),
        batch_size=0,
        started_by=by,
        file_name=file_name[:255],
        items_done=len(items),
    )
    with transaction.atomic():
        created, updated, unchanged, errors = upsert(records)
        report.add_errors(errors)
        aborted = strict and report.error_count > 0
        if aborted:
            transaction.set_rollback(True)
        else:
            report.created, report.updated, report.unchanged = created, updated, unchanged
    run.created, run.updated, run.unchanged = report.created, report.updated, report.unchanged
    run.error_count = report.error_count
    run.errors = [e.__dict__ for e in report.errors]
    with transaction.atomic():
        _finish(run, ImportRun.Status.ABORTED if aborted else ImportRun.Status.COMPLETED, by)
    report.run_code = run.code
    if aborted:
        raise ImportAborted(report)
    return report
