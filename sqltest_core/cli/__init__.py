"""The ``sqltest`` command: init, run, validate, inspect, report, history.

Built on typer and rich. :func:`main` is the console-script entry point; it
returns the exit code instead of raising, so the command can be driven from
Python too:

====  ==========================================================================
code  meaning
====  ==========================================================================
0     everything ran and passed (warnings included)
1     a rule or test failed at error severity, or errored
2     usage or configuration error (a message names file and line)
3     a data source was unreachable before anything ran
====  ==========================================================================

>>> main(["--version"])
sqltest 0.1.0
0
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import typer
from rich.markup import escape

from sqltest_core._secrets import redact
from sqltest_core.cli._app import STATE, app, err
from sqltest_core.cli._run import unreachable
from sqltest_core.errors import ConfigError, SqltestError

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_UNREACHABLE", "EXIT_USAGE", "app", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command line (default: ``sys.argv[1:]``); return the exit code."""
    STATE.debug = False
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=list(sys.argv[1:] if argv is None else argv),
            prog_name="sqltest",
            standalone_mode=False,
        )
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:  # pragma: no cover - every usage error can show itself
            err.print(f"error: {exc}", markup=False)
        return EXIT_USAGE
    except (typer.Abort, KeyboardInterrupt):
        err.print("[red]interrupted[/]")
        return 130
    except BaseException as exc:  # every error ends as one clear line
        return _fail(exc)
    return int(result) if isinstance(result, int) else EXIT_OK


def _unwrap(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _fail(exc: BaseException) -> int:
    exc = _unwrap(exc)
    if isinstance(exc, SystemExit):
        return int(exc.code) if isinstance(exc.code, int) else EXIT_FAILED
    if STATE.debug:
        err.print(
            redact("".join(traceback.format_exception(exc))),
            markup=False,
            highlight=False,
        )
    hint = "" if STATE.debug else " (--debug shows the traceback)"
    if isinstance(exc, ConfigError):
        text, code = str(exc), EXIT_USAGE
        hint = ""
    elif unreachable(exc):
        text, code = str(exc).splitlines()[0], EXIT_UNREACHABLE
        hint = ""
    elif isinstance(exc, SqltestError):
        text, code = str(exc), EXIT_FAILED
    else:
        text, code = f"{type(exc).__name__}: {redact(str(exc))}", EXIT_FAILED
        hint = " (an internal error; --debug shows the traceback)"
    err.print(
        f"[bold red]error:[/] {escape(text)}{hint}", highlight=False, soft_wrap=True
    )
    return code
