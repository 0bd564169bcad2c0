"""The `devtray` command line. It never imports Qt."""

from desktop.cli.main import main

__all__ = ["main"]
