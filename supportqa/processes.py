"""Child processes that die with their parent (Linux: the kernel's parent-death signal;
elsewhere the child watches its parent between batches, see `parent_alive`)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec function asking the kernel to send SIGTERM when the parent dies."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    return preexec


def fork_child(run: Callable[[], int]) -> int:
    """Fork a child that runs `run()`, exits with the status it returns (1 and a traceback on
    stderr if it raises) and ends when this process ends, however it ends (kill -9 included).
    Returns the child's pid. A fork starts at once with everything this process has loaded (a
    new interpreter took about 2.7 s to import and set up Django before its first batch).
    Close the database connections before: a connection is never shared by two processes,
    each opens its own. Output buffered before the fork would be written twice: it is
    flushed first."""
    parent = os.getpid()
    die_with_parent = _die_with_parent()  # looked up here: the child's first act is to ask
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(parent, die_with_parent, run)
    return pid


def _child(
    parent: int, die_with_parent: Callable[[], None] | None, run: Callable[[], int]
) -> NoReturn:
    """The forked child's whole life: whatever happens (an exception, Ctrl-C, a broken pipe
    while flushing), it ends here and never returns into the parent's code."""
    status = 1
    try:
        try:
            if die_with_parent is not None:
                die_with_parent()
            # The parent may have died before the kernel was asked to signal its death.
            status = run() if parent_alive(parent) else 1
        except BaseException:  # noqa: BLE001 - reported, then the child ends
            traceback.print_exc()
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001, S110 - nowhere left to report it
            pass
    finally:
        os._exit(status)


def exit_status(pid: int) -> int:
    """Wait for a child started by `fork_child`; its exit status (-N if killed by signal N)."""
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def parent_alive(parent: int) -> bool:
    """Whether the process that started this one still runs (when it dies, this one is
    re-parented and its parent id changes)."""
    return os.getppid() == parent
