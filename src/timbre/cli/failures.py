"""How a failed command ends: one line ``error: <what> — <what to do>`` on stderr, no traceback.

Exit codes: 2 for a problem with the input or the environment (``TimbreError``, ``OSError``:
a missing or read-only path, a full disk), 1 for an unexpected exception (a bug: the line asks
to rerun with ``--debug``), 130 for Ctrl-C. With ``--debug`` (anywhere on the command line)
or ``TIMBRE_DEBUG=1`` the traceback is printed before the line.
"""

from __future__ import annotations

import errno
import os
import sys
import traceback

DEBUG_FLAG = "--debug"
DEBUG_ENV = "TIMBRE_DEBUG"
BUG_HINT = "this is a bug in timbre; rerun with --debug (or TIMBRE_DEBUG=1) for the traceback and report it"


def split_debug(argv: list[str]) -> tuple[list[str], bool]:
    """``argv`` without ``--debug`` (accepted anywhere before ``--``) and whether debugging is on."""
    end = argv.index("--") if "--" in argv else len(argv)
    debug = DEBUG_FLAG in argv[:end] or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    return [a for i, a in enumerate(argv) if not (i < end and a == DEBUG_FLAG)], debug


def os_error_line(err: OSError) -> str:
    """An ``OSError`` as "<path>: <reason> — <what to do>"."""
    where = err.filename if err.filename is not None else ""
    if err.filename2 is not None:
        where = f"{where} -> {err.filename2}"
    reason = err.strerror or str(err) or type(err).__name__
    if isinstance(err, PermissionError) or err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        advice = "check the permissions of that path or choose another one"
    elif err.errno in (errno.ENOSPC, errno.EDQUOT):
        advice = "free some disk space and run again; finished work is kept"
    elif isinstance(err, FileNotFoundError):
        advice = "check the path"
    elif isinstance(err, (IsADirectoryError, NotADirectoryError)):
        advice = "pass a file where a file is expected and a folder where a folder is"
    else:
        advice = "check the path and the disk, then run again"
    return f"{where}: {reason} — {advice}" if where else f"{reason} — {advice}"


def report_failure(err: BaseException, debug: bool) -> int:
    """Print ``err`` as one ``error:`` line (plus the traceback when ``debug``); returns the exit code."""
    from timbre.errors import TimbreError

    if debug:
        traceback.print_exception(err, file=sys.stderr)
    if isinstance(err, KeyboardInterrupt):
        print("interrupted; finished work is kept and the next run resumes", file=sys.stderr)
        return 130
    if isinstance(err, TimbreError):
        line, code = str(err), 2
    elif isinstance(err, OSError):
        line, code = os_error_line(err), 2
    else:
        detail = " ".join(str(err).split())[:200]
        line, code = f"unexpected {type(err).__name__}{': ' + detail if detail else ''} — {BUG_HINT}", 1
    print(f"error: {line}", file=sys.stderr)
    return code
