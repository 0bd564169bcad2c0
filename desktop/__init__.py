"""devtray: your personal cloud dev VM, driven from the tray or the command line."""

__version__ = "0.1.0"
