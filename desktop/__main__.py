"""`python -m desktop` and the `devtray` console script."""

from __future__ import annotations

import sys


def main() -> int:
    """Run devtray."""
    from desktop.app import main as app_main

    return app_main()


if __name__ == "__main__":
    sys.exit(main())
