"""``python -m steerherd`` runs the CLI."""

from steerherd.cli import run

run()
