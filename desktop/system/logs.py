"""Logging: a rotating file in the platform's log dir, with secrets redacted."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import platformdirs

from desktop.core.config import APP_NAME

LOG_DIR_ENV = "DEVTRAY_LOG_DIR"

# Pattern text, compiled by `re` on first use (and cached there): start-up never pays for it.
_CREDENTIAL_ASSIGNMENT = (
    # key=value and "key": "value" for names that carry secrets
    r"(?i)((?:access_?token|refresh_?token|client_?secret|secret_?access_?key|session_?token"
    r"|password|passphrase|authorization)[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?)([^\s\"',}]+)"
)
_AWS_KEY_ID = r"(AKIA|ASIA)[A-Z0-9]{16}"
_PRIVATE_KEY = r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"


def redact(text: str) -> str:
    """`text` with tokens, keys and passwords replaced by `***`."""
    text = re.sub(_CREDENTIAL_ASSIGNMENT, lambda m: m.group(1) + "***", text)
    text = re.sub(_AWS_KEY_ID, lambda m: m.group(1) + "***", text)
    return re.sub(_PRIVATE_KEY, "***PRIVATE KEY***", text)


class RedactingFormatter(logging.Formatter):
    """A formatter whose output never carries a secret, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def log_dir() -> Path:
    """Where devtray's logs go: `$DEVTRAY_LOG_DIR` or the platform's user log dir."""
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def log_file() -> Path:
    """The main log file."""
    return log_dir() / "devtray.log"


def setup_logging(level: int = logging.INFO) -> Path:
    """Send devtray's logs to the rotating log file; returns its path."""
    # Imported here: logging.handlers pulls in socket and pickle (~7 ms), which the tray would
    # otherwise pay before its icon is up.
    import logging.handlers

    path = log_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger("desktop")
    if not any(getattr(h, "devtray", False) for h in root.handlers):
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
        handler.devtray = True  # type: ignore[attr-defined]
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    return path
