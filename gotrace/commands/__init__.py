"""One module per `gotrace` subcommand; each defines `command`. See gotrace/cli.py."""
