"""The `brandbot` commands, by group; `monitor/cli.py` parses arguments and dispatches here."""
