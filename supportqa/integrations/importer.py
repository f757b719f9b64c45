"""Run an import: parse, validate, resolve, write in atomic batches, record progress.

1. The run is identified by a fingerprint of the file's bytes and the options. An unfinished run
   (interrupted, or failed) with the same fingerprint is resumed: batches already committed are
   parsed but not rewritten.
2. Each batch (records and errors alike, in file order) is written in one transaction together
   with the run's progress counter, so a run killed at any point resumes exactly. If the
   database refuses the batch, it is written again one record at a time, each in a savepoint:
   a record the database refuses becomes that row's error, and the others are written.
3. Implausible values (a timestamp in the future, a conversation created after its first
   message, a survey answered before its conversation) are imported with a warning listed in
   the run. Strict mode treats warnings as errors, writes everything in one transaction and
   rolls it back if any row is bad or warned about.
4. Re-running a finished import finds every conversation unchanged (content hash) and writes
   nothing.
5. A run that stops on an unexpected error ends `failed` with the reason, never `running`.
"""

from __future__ import annotations

import gc
import hashlib
import json
import mmap
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from tqdm import tqdm

from supportqa.audit.actions import record_event
from supportqa.bulk import GrowingTables, refresh_planner_statistics
from supportqa.conversations.models import Conversation, Customer
from supportqa.core.redact import redact as redact_text
from supportqa.integrations.kinds import KINDS
from supportqa.integrations.models import ImportRun
from supportqa.integrations.records import (
    ConversationRecord,
    RowError,
    dedupe,
    iter_chunks,
    unstorable,
)
from supportqa.integrations.writer import BatchResult, ConversationWriter

MAX_STORED_ERRORS = 1000
ECHO_BATCHES = os.environ.get("SUPPORTQA_IMPORT_ECHO_BATCHES") == "1"


class ImportAborted(Exception):
    def __init__(self, report: ImportReport) -> None:
        warned = f" and {report.warning_count} warnings" if report.warning_count else ""
        super().__init__(
            f"strict import aborted: {report.error_count} bad rows{warned}, nothing written"
        )
        self.report = report


class ImportFailed(Exception):
    """The run stopped on an unexpected error. It is recorded as failed with the reason;
    importing the same file again resumes after its last committed batch."""

    def __init__(self, report: ImportReport, reason: str) -> None:
        super().__init__(f"import failed: {reason} (import the file again to resume)")
        self.report = report


@dataclass
class ImportReport:
    run_code: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    warnings: list[RowError] = field(default_factory=list)
    warning_count: int = 0
    resumed_from: int = 0

    def add_errors(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.error_count += 1
            if len(self.errors) < MAX_STORED_ERRORS:
                self.errors.append(error)

    def add_warnings(self, warnings: Iterable[RowError]) -> None:
        for warning in warnings:
            self.warning_count += 1
            if len(self.warnings) < MAX_STORED_ERRORS:
                self.warnings.append(warning)

    def summary(self) -> str:
        text = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.error_count} rejected"
        )
        if self.warning_count:
            text += f", {self.warning_count} warnings"
        if self.resumed_from:
            text += f" (resumed after {self.resumed_from} records)"
        return text

    @classmethod
    def of(cls, run: ImportRun) -> ImportReport:
        """The run's totals: they include batches written by earlier, interrupted attempts."""
        return cls(
            run_code=run.code,
            created=run.created,
            updated=run.updated,
            unchanged=run.unchanged,
            errors=[RowError(**e) for e in run.errors],
            error_count=run.error_count,
            warnings=[RowError(**w) for w in run.warnings],
            warning_count=run.warning_count,
        )


@contextmanager
def source_of(path_or_bytes: Path | bytes) -> Iterator[bytes | mmap.mmap]:
    """The file's contents, mapped rather than read: a file of any size costs the import no
    memory of its own (its pages are the system's file cache), and JSONL is parsed line by
    line from it (`native.lines_of`). The map is closed on leaving, error or not. Bytes are
    taken as they are."""
    if isinstance(path_or_bytes, bytes):
        yield path_or_bytes
        return
    with Path(path_or_bytes).open("rb") as file:
        if os.fstat(file.fileno()).st_size == 0:
            yield b""  # an empty file cannot be mapped
            return
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            yield mapped


def import_file(
    kind: str,
    data: Path | bytes,
    *,
    source: str | None = None,
    strict: bool = False,
    redact: bool = False,
    create_missing: bool = False,
    by: Any = None,
    file_name: str = "",
    progress: bool = False,
    run: ImportRun | None = None,
    on_batch_committed: Callable[[ImportRun], None] | None = None,
) -> ImportReport:
    """Run an import of any kind in KINDS (the command line and the worker call this). `run`
    is the queued run a worker claimed; without it the run is found (to resume) or made."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}; use one of {', '.join(KINDS)}")
    if KINDS[kind].upsert is not None:
        return import_small(
            kind, data, source=source, strict=strict, by=by, file_name=file_name, run=run
        )
    return import_conversations(
        data,
        kind=kind,
        source=source,
        strict=strict,
        redact=redact,
        create_missing=create_missing,
        by=by,
        file_name=file_name,
        progress=progress,
        run=run,
        on_batch_committed=on_batch_committed,
    )


def parse(
    kind: str, data: bytes | mmap.mmap, source: str | None
) -> Iterator[ConversationRecord | RowError]:
    """The file's records and bad rows in file order, parsed as they are written (a forked
    parsing process did not beat this: bench/import.py --compare-parsers)."""
    format_ = KINDS.get(kind)
    if format_ is None or format_.upsert is not None:
        conversations = [k for k, v in KINDS.items() if v.upsert is None]
        raise ValueError(f"unknown conversation format {kind!r}; use one of {conversations}")

    return dedupe(format_.parse(data, source or format_.default_source))


def fingerprint(data: bytes | mmap.mmap, options: dict[str, Any]) -> str:
    digest = hashlib.sha256(data)
    digest.update(json.dumps(options, sort_keys=True).encode())
    return digest.hexdigest()


LARGE_IMPORT = 1000  # conversations written; then the query planner's statistics are refreshed


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
    run: ImportRun | None = None,
) -> ImportReport:
    with source_of(data) as raw:
        options = {
            "kind": kind,
            "source": source,
            "redact": redact,
            "create": create_missing,
            "strict": strict,
        }
        batch_size = settings.SUPPORTQA_IMPORT_BATCH
        if run is None:
            run = _start_run(kind, fingerprint(raw, options), batch_size, by, file_name, strict)
        report = ImportReport(run_code=run.code, resumed_from=run.items_done)
        writer = ConversationWriter(create_missing=create_missing)
        with _collector_paused(), _failure_recorded(run, report):
            items = parse(kind, raw, source)
            bar = tqdm(items, unit=" conv", disable=not progress, desc=f"import {kind}")
            if strict:
                _run_strict(bar, run, report, writer, redact)
            else:
                _run_batches(bar, run, writer, redact, batch_size, on_batch_committed)
                resumed_from = report.resumed_from
                report = ImportReport.of(run)
                report.resumed_from = resumed_from
    if report.created + report.updated >= LARGE_IMPORT:
        refresh_planner_statistics()
    return report


@contextmanager
def _failure_recorded(run: ImportRun, report: ImportReport) -> Iterator[None]:
    """An unexpected error ends the run as failed, with its reason, and is raised as
    ImportFailed: a run is never left `running` by an error (only by a killed process, and
    then importing again resumes it)."""
    try:
        yield
    except (ImportAborted, ImportFailed):
        raise
    except Exception as exc:
        reason = _storable(f"{type(exc).__name__}: {exc}")[:2000]
        with transaction.atomic():
            run.failure = reason
            _finish(run, ImportRun.Status.FAILED, run.started_by)
        raise ImportFailed(report, reason) from exc


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
            fingerprint=print_,
            status__in=[ImportRun.Status.RUNNING, ImportRun.Status.FAILED],
            batch_size=batch_size,
            upload="",  # a queued web import is resumed by the worker, not by the command line
        ).first()
        if unfinished is not None:
            unfinished.status, unfinished.failure = ImportRun.Status.RUNNING, ""
            unfinished.save(update_fields=["status", "failure"])
            return unfinished
    return ImportRun.objects.create(
        kind=kind,
        fingerprint=print_,
        batch_size=batch_size,
        started_by=by,
        file_name=_storable(file_name)[:255],
    )


@dataclass
class _Outcome:
    result: BatchResult = field(default_factory=BatchResult)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)


def _resolved(
    chunk: list[Any], writer: ConversationWriter, redact: bool, outcome: _Outcome
) -> list[Any]:
    """The chunk's records resolved against agents, teams and categories; errors and warnings
    go to `outcome`, in file order."""
    resolved = []
    for item in chunk:
        if isinstance(item, RowError):
            outcome.errors.append(item)
            continue
        result = writer.resolve(item.redacted(redact_text) if redact else item)
        if isinstance(result, RowError):
            outcome.errors.append(result)
            continue
        outcome.warnings.extend(RowError(item.line, f, reason) for f, reason in item.warnings)
        resolved.append(result)
    return resolved


def _write_batch(chunk: list[Any], writer: ConversationWriter, redact: bool) -> _Outcome:
    """Write one batch in the caller's transaction. If the database refuses it, the caller
    rolls back and calls `_write_one_by_one`."""
    outcome = _Outcome()
    outcome.result = writer.write(_resolved(chunk, writer, redact, outcome))
    return outcome


def _write_one_by_one(chunk: list[Any], writer: ConversationWriter, redact: bool) -> _Outcome:
    """Each record in its own savepoint: one the database refuses becomes its row's error."""
    outcome = _Outcome()
    for item in _resolved(chunk, writer, redact, outcome):
        try:
            with transaction.atomic():
                outcome.result.add(writer.write([item]))
        except DatabaseError as exc:
            writer.reload()  # what it created in the refused savepoint is gone
            reason = _storable(f"the database refused it: {exc}".splitlines()[0])[:300]
            outcome.errors.append(RowError(item.record.line, "-", reason))
            outcome.warnings = [w for w in outcome.warnings if w.line != item.record.line]
    outcome.errors.sort(key=lambda e: e.line)
    return outcome


def _run_batches(
    items: Iterable[Any],
    run: ImportRun,
    writer: ConversationWriter,
    redact: bool,
    batch_size: int,
    on_batch_committed: Callable[[ImportRun], None] | None,
) -> None:
    done = 0
    tables = GrowingTables(Conversation, Customer)
    for chunk in iter_chunks(items, batch_size):
        done += len(chunk)
        if done <= run.items_done:
            continue  # committed by an earlier, interrupted attempt
        try:
            with transaction.atomic():
                outcome = _write_batch(chunk, writer, redact)
                _advance(run, done, outcome)
        except DatabaseError:
            run.refresh_from_db()  # the refused transaction's progress was rolled back
            writer.reload()
            with transaction.atomic():
                outcome = _write_one_by_one(chunk, writer, redact)
                _advance(run, done, outcome)
        if on_batch_committed is not None:
            on_batch_committed(run)
        tables.wrote(outcome.result.created)
        if ECHO_BATCHES:  # lets tests (and operators) follow committed progress
            print(f"batch committed {run.items_done}", flush=True)
    with transaction.atomic():
        _finish(run, ImportRun.Status.COMPLETED, run.started_by)


def _storable(text: str) -> str:
    """Text safe to store whatever the file held (no NUL, no lone surrogate)."""
    if not unstorable(text):
        return text
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def _stored(rows: list[RowError]) -> list[dict[str, Any]]:
    return [
        {"line": e.line, "field": _storable(e.field)[:200], "reason": _storable(e.reason)[:1000]}
        for e in rows
    ]


def _advance(run: ImportRun, done: int, outcome: _Outcome) -> None:
    run.items_done = done
    run.created += outcome.result.created
    run.updated += outcome.result.updated
    run.unchanged += outcome.result.unchanged
    run.error_count += len(outcome.errors)
    run.warning_count += len(outcome.warnings)
    room = MAX_STORED_ERRORS - len(run.errors)
    run.errors = run.errors + _stored(outcome.errors[: max(room, 0)])
    room = MAX_STORED_ERRORS - len(run.warnings)
    run.warnings = run.warnings + _stored(outcome.warnings[: max(room, 0)])
    run.save(
        update_fields=[
            "items_done",
            "created",
            "updated",
            "unchanged",
            "error_count",
            "errors",
            "warning_count",
            "warnings",
        ]
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
            "warnings": run.warning_count,
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
    """Everything in one transaction, rolled back if any row is bad or warned about (or the
    database refuses one: strict means all or nothing)."""
    totals = BatchResult()
    tables = GrowingTables(Conversation, Customer)
    try:
        with transaction.atomic():
            for chunk in iter_chunks(items, settings.SUPPORTQA_IMPORT_BATCH):
                try:
                    with transaction.atomic():
                        outcome = _write_batch(chunk, writer, redact)
                except DatabaseError:
                    writer.reload()
                    outcome = _write_one_by_one(chunk, writer, redact)
                totals.add(outcome.result)
                tables.wrote(outcome.result.created)
                report.add_errors(outcome.errors)
                report.add_warnings(outcome.warnings)
            if report.error_count or report.warning_count:
                raise _Rollback
            _advance(run, 0, _Outcome(totals))
            _finish(run, ImportRun.Status.COMPLETED, run.started_by)
    except _Rollback:
        writer.reload()
        run.error_count, run.warning_count = report.error_count, report.warning_count
        run.errors, run.warnings = _stored(report.errors), _stored(report.warnings)
        with transaction.atomic():
            _finish(run, ImportRun.Status.ABORTED, run.started_by)
        raise ImportAborted(report) from None
    report.created, report.updated, report.unchanged = (
        totals.created,
        totals.updated,
        totals.unchanged,
    )


# --- surveys and people (small files: one transaction for the whole file) ----------------------


def import_surveys(data: Path | bytes, **options: Any) -> ImportReport:
    return import_small("surveys", data, **options)


def import_users(data: Path | bytes, **options: Any) -> ImportReport:
    return import_small("users", data, **options)


def import_small(
    kind: str,
    data: Path | bytes,
    *,
    source: str | None = None,
    strict: bool = False,
    by: Any = None,
    file_name: str = "",
    run: ImportRun | None = None,
) -> ImportReport:
    """A survey or user file: parsed whole, written in one transaction by its kind's upsert."""
    format_ = KINDS[kind]
    assert format_.upsert is not None
    with source_of(data) as raw:
        items = list(format_.parse(raw, source or format_.default_source))
        digest = fingerprint(raw, {"kind": kind})
    run = run or ImportRun(
        kind=kind,
        fingerprint=digest,
        batch_size=0,
        started_by=by,
        file_name=_storable(file_name)[:255],
    )
    return _import_small(run, items, format_.upsert, strict, by)


def _import_small(
    run: ImportRun, items: list[Any], upsert: Callable[..., Any], strict: bool, by: Any
) -> ImportReport:
    report, records = _parsed_report(items)
    run.items_done = len(items)
    with transaction.atomic():
        created, updated, unchanged, errors, warnings = upsert(records)
        report.add_errors(errors)
        report.add_warnings(warnings)
        aborted = strict and (report.error_count > 0 or report.warning_count > 0)
        if aborted:
            transaction.set_rollback(True)
        else:
            report.created, report.updated, report.unchanged = created, updated, unchanged
    report.errors.sort(key=lambda e: e.line)
    report.warnings.sort(key=lambda e: e.line)
    run.created, run.updated, run.unchanged = report.created, report.updated, report.unchanged
    run.error_count, run.warning_count = report.error_count, report.warning_count
    run.errors, run.warnings = _stored(report.errors), _stored(report.warnings)
    with transaction.atomic():
        _finish(run, ImportRun.Status.ABORTED if aborted else ImportRun.Status.COMPLETED, by)
    report.run_code = run.code
    if aborted:
        raise ImportAborted(report)
    return report


def _parsed_report(items: list[Any]) -> tuple[ImportReport, list[Any]]:
    """A report of a parsed file's row errors and its records' warnings, and the records."""
    report = ImportReport()
    report.add_errors(i for i in items if isinstance(i, RowError))
    records = [i for i in items if not isinstance(i, RowError)]
    report.add_warnings(
        RowError(r.line, f, reason) for r in records for f, reason in getattr(r, "warnings", [])
    )
    return report, records
