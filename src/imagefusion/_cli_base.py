"""The command line's frame: one-line errors for a wrong command line, global options anywhere, plain
value names in ``--help`` and log records as ``warning: ...`` lines (used by :mod:`imagefusion.cli`)."""

from __future__ import annotations

import logging

import typer
import typer.core
from rich.console import Console

#: Errors: one line on stderr, however long.
err_console = Console(stderr=True, soft_wrap=True)


def _plain_type(self, ctx) -> str | None:
    """The value column of ``--help``: click's plain names (TEXT, INTEGER, PATH, FLOAT; ``...`` for a
    repeatable argument), nothing for a flag, instead of this Typer version's Python type names
    (``<list[Path]>``, ``<bool>``)."""
    if self.metavar is not None:
        return self.metavar
    if getattr(self, "is_flag", False) or getattr(self, "is_bool_flag", False):
        return None
    label = self.display_type(ctx).strip("<>")
    repeated = label.startswith("list[")
    label = label[5:-1] if repeated else label
    if label == "bool":
        return None
    plain = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "Path": "PATH"}.get(label, label.upper())
    return plain + ("..." if repeated and self.nargs != 1 else "")



#: The options of ``imagefusion`` itself, accepted anywhere on the line (``imagefusion fuse -q ...``).
GLOBAL_FLAGS = ("-q", "--quiet", "-v", "--verbose", "--lenient")


def _hoist_global_options(args: list[str]) -> list[str]:
    """Move :data:`GLOBAL_FLAGS` given after the command name to the front, where click reads them
    (tokens after ``--`` stay where they are)."""
    cut = args.index("--") if "--" in args else len(args)
    head = args[:cut]
    flags = [a for a in head if a in GLOBAL_FLAGS]
    return flags + [a for a in head if a not in GLOBAL_FLAGS] + args[cut:]


def _click():
    """The click that typer runs on (this typer vendors its own copy as ``typer._click``)."""
    vendored = getattr(typer.core, "_click", None)
    if vendored is not None:
        return vendored
    import click

    return click


class _OneLineErrors(typer.core.TyperGroup):
    """The command group: a wrong command line (an unknown option, a value out of range) is one line,
    ``error: ...``, exit 2, like every other error; help and the commands themselves are unchanged."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        import types

        # this app's help shows click's plain value names; typer's classes, which other apps share, stay as they are
        def plain_help(get):  # click makes each --help option when it is asked for
            def make(ctx):
                option = get(ctx)
                if option is not None:
                    option.display_type_rich = types.MethodType(_plain_type, option)
                return option
            return make

        for command in [self, *self.commands.values()]:
            for param in command.params:
                param.display_type_rich = types.MethodType(_plain_type, param)
            command.get_help_option = plain_help(command.get_help_option)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # noqa: D102
        import sys

        click = _click()
        args = _hoist_global_options(sys.argv[1:] if args is None else list(args))
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help() if exc.ctx is not None else str(exc))
            sys.exit(0)
        except click.exceptions.UsageError as exc:
            where = f"imagefusion {exc.ctx.info_name}: " if exc.ctx is not None and exc.ctx.parent else ""
            err_console.print(f"[bold red]error:[/] {where}{exc.format_message()} (see --help)", markup=True,
                              highlight=False)
            sys.exit(exc.exit_code)
        except click.exceptions.ClickException as exc:
            err_console.print(f"[bold red]error:[/] {exc.format_message()}", markup=True, highlight=False)
            sys.exit(exc.exit_code)
        except (typer.Abort, getattr(click, "Abort", typer.Abort)):
            err_console.print("[bold red]error:[/] aborted", markup=True, highlight=False)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


class _StderrHandler(logging.StreamHandler):
    """Log records as ``warning: message`` on the current ``sys.stderr`` (looked up at each record, so
    a redirected or captured stderr is honoured)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))

    @property
    def stream(self):  # type: ignore[override]
        import sys

        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)  # notes plain; warnings and above with their level
        return f"{record.levelname.lower()}: {text}" if record.levelno >= logging.WARNING else text
