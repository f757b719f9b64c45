"""Parse an import file in a second process while this one writes to the database.

A large import spends about a quarter of its time decoding and validating records and the rest
in the database; on two cores the two overlap. The child is forked, so it shares the file's
bytes without copying them; it sends records back in pickled chunks through a pipe, up to a few
chunks ahead of the writer. Where `fork` is unavailable, or the file is small, parsing stays
in-process: both ways run the same parser and yield the same items in the same order.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import pickle
import queue
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")

# Below this size the fork and the pickling cost more than they save.
MIN_BYTES = 1 << 20
# Chunks the parser may have ready before the writer takes them.
AHEAD = 3
PIPE_BYTES = 1 << 20


def worthwhile(size: int) -> bool:
    return size >= MIN_BYTES and "fork" in multiprocessing.get_all_start_methods()


def in_child(produce: Callable[[], Iterable[T]], chunk_size: int) -> Iterator[T]:
    """The items of `produce()`, computed in a forked child process. A failure in the child is
    raised here with its traceback; closing this iterator early stops the child."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    _widen(sender)
    process = context.Process(
        target=_produce,
        args=(produce, receiver, sender, chunk_size),
        name="supportqa-import-parser",
        daemon=True,
    )
    process.start()
    sender.close()
    try:
        while True:
            try:
                kind, payload = pickle.loads(receiver.recv_bytes())
            except EOFError:
                process.join(5)
                raise RuntimeError(
                    f"the import's parsing process ended unexpectedly "
                    f"(exit code {process.exitcode})"
                ) from None
            if kind == "items":
                yield from payload
            elif kind == "error":
                raise RuntimeError(f"parsing failed in the import's parsing process:\n{payload}")
            else:
                return
    finally:
        receiver.close()  # a child still sending gets BrokenPipeError and ends
        process.join(5)
        if process.is_alive():
            process.terminate()
            process.join()


def _widen(end: Connection) -> None:
    """Give the pipe 1 MiB instead of Linux's 64 KiB, so a chunk (about 2 MB for 1,000
    conversations) crosses in two writes rather than thirty: the child's writer thread needs the
    GIL between writes, and the parser holds it. Elsewhere, or above the system's limit, the
    default stays."""
    try:
        import fcntl

        fcntl.fcntl(end.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


def _produce(
    produce: Callable[[], Iterable[Any]], receiver: Connection, sender: Connection, size: int
) -> None:
    # The inherited read end must go: were the parent killed, the child would otherwise keep
    # the pipe open and wait on it forever.
    receiver.close()
    gc.disable()  # short-lived, and its records hold no cycles
    # A thread writes to the pipe, so parsing goes on while a chunk waits for the writer to
    # take it: the parser runs up to AHEAD chunks ahead instead of one.
    outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
    broken = threading.Event()

    def pump() -> None:
        try:
            while (message := outbox.get()) is not None:
                sender.send_bytes(message)
        except OSError:  # BrokenPipeError: the importer stopped reading
            broken.set()
            while outbox.get() is not None:
                pass  # let the parser finish putting without blocking

    def send(message: tuple[str, Any]) -> None:
        if broken.is_set():
            raise BrokenPipeError
        outbox.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    writer = threading.Thread(target=pump, name="supportqa-import-pipe", daemon=True)
    writer.start()
    try:
        chunk: list[Any] = []
        for item in produce():
            chunk.append(item)
            if len(chunk) >= size:
                send(("items", chunk))
                chunk = []
        send(("items", chunk))
        send(("end", None))
    except BrokenPipeError:
        pass
    except Exception:
        with contextlib.suppress(BrokenPipeError):
            send(("error", traceback.format_exc()))
    finally:
        outbox.put(None)
        writer.join()
        sender.close()
