"""Child processes that die with their parent (Linux: the kernel's parent-death signal;
elsewhere the child watches its parent between batches, see `parent_alive`)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec function asking the kernel to send SIGTERM when the parent dies."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    return preexec


def child_of_this_process(command: list[str]) -> subprocess.Popen[bytes]:
    """Start a command that ends when this process ends, however it ends (kill -9 included)."""
    return subprocess.Popen(command, preexec_fn=_die_with_parent())  # noqa: PLW1509


def parent_alive(parent: int) -> bool:
    """Whether the process that started this one still runs (when it dies, this one is
    re-parented and its parent id changes)."""
    return os.getppid() == parent
