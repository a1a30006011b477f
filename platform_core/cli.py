"""Shared command-line plumbing: user-facing errors in one line, not a traceback."""
from __future__ import annotations

from functools import wraps

import typer
from rich.console import Console

err = Console(stderr=True)


def one_line_errors(*error_types: type[Exception]):
    """Decorator: report ``error_types`` as ``error: <message>`` on stderr and exit with status 1."""
    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except error_types as exc:
                err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True, markup=True)
                raise typer.Exit(1)
        return wrapper
    return decorate
