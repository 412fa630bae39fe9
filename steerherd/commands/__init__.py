"""CLI subcommands, one module each; heavy imports stay inside the handlers."""
