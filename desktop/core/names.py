"""The shapes of names devtray puts into SSH config lines and cloud calls (use `fullmatch`).

One definition for the config reader (which refuses a bad value when the file is read) and the
SSH config writer (which refuses one from the cloud): a value the first accepts, the second does.
"""

from __future__ import annotations

import re

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
DNS_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")
LOGIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
AWS_REGION = re.compile(r"[a-z]{2}(-[a-z0-9]+){1,4}")
AWS_PROFILE = re.compile(r"[A-Za-z0-9_.+=@-]{1,64}")
