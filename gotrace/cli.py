"""The `gotrace` command: a click group; each subcommand lives in gotrace/commands/<name>.py.

A module there that defines `command` (a click.Command) is a subcommand, named as the module (less a
trailing underscore: import_.py is `gotrace import`); modules whose names start with an underscore
are helpers. Adding a command needs no edit here. A command's module is imported when the command
runs (or when the help lists it): importing every command's modules took 0.55-0.6 s at each start,
summary's alone 0.24 s and fold's 0.08 s (python -X importtime), a tenth of the time it takes to
merely decode a million-record trace (issue 14).
"""
from __future__ import annotations

import gc
import importlib
import pkgutil
import sys

import click

from gotrace import __version__, commands, quick_exit
from gotrace.events import TraceError
from gotrace.pages import small_pages
from gotrace.status import STATUS
from gotrace.text import printable


def _command_modules() -> dict[str, str]:
    """Command name -> its module's name, of every module in gotrace/commands."""
    return {info.name.rstrip("_"): info.name for info in pkgutil.iter_modules(commands.__path__)
            if not info.name.startswith("_")}


class _Commands(click.Group):
    """The subcommands, each imported when it is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_command_modules())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = _command_modules().get(name)
        if module is None:
            return None
        command = getattr(importlib.import_module(f"gotrace.commands.{module}"), "command", None)
        return command if isinstance(command, click.Command) else None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="gotrace")
def cli() -> None:
    """Where your Go build's time and memory go.

    \b
    Example:
      gotrace run --cold -- go build ./...      # trace a cold build into gotrace.jsonl
      gotrace flame gotrace.jsonl -o build.svg  # then open build.svg in a browser
    """


def main() -> None:
    """Console-script entry: bad input ends in one line on stderr and a non-zero exit, never a traceback."""
    small_pages()  # before any command imports numpy
    # A command reads a trace into many small objects that live until it exits, and they hold no
    # reference cycles: the cyclic collector would only walk them again and again (a third of
    # `summary`'s time on 100,000 records). Reference counting still frees what is dropped.
    gc.disable()
    quick_exit.enable()
    try:
        try:
            # without standalone mode click returns (not raises) the code of a click.exceptions.Exit
            status = cli.main(standalone_mode=False)
        finally:
            STATUS.clear()  # before an error's line, or the shell's prompt
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.UsageError as e:
        # one line, not click's usage block: the error is what the user needs to see
        hint = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
        click.echo(printable(f"Error: {e.format_message().rstrip('.')}{hint}"), err=True)
        sys.exit(e.exit_code)
    except click.ClickException as e:
        click.echo(printable(f"Error: {e.format_message()}"), err=True)
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except TraceError as e:
        click.echo(printable(f"gotrace: {e}"), err=True)
        sys.exit(1)
    except BrokenPipeError:
        # `gotrace fold t.jsonl | head`: the reader went away; that is not an error of ours.
        sys.stderr.close()
        sys.exit(0)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as e:
        click.echo(f"gotrace: {e.strerror or e}{': ' + e.filename if e.filename else ''}", err=True)
        sys.exit(1)
    else:
        status = status if isinstance(status, int) else 0
        quick_exit.exit_if_kept(status)
        sys.exit(status)


if __name__ == "__main__":
    main()
