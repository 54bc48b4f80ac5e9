"""The `rumorbot` command line: the parser and entry point, the commands, what they print."""

from bot.cli.parser import main

__all__ = ["main"]
