"""`python -m desktop` and the `devtray` console script."""

from __future__ import annotations

import sys

PROXY_COMMAND = "connect-proxy"  # desktop.cli.connect_proxy.COMMAND (not imported: see below)
FAST_PATH_SECONDS = 1.5  # a running VM answers in milliseconds; a stopped one never does


def main() -> int:
    """Run devtray."""
    if sys.argv[1:2] == [PROXY_COMMAND] and _relayed_at_once(sys.argv[2:]):
        return 0
    from desktop.app import main as app_main

    return app_main()


def _relayed_at_once(args: list[str]) -> bool:
    """`connect-proxy ALIAS HOST PORT` (ssh runs it for every new connection): when an SSH
    server answers at HOST:PORT at once, relay to it without loading the CLI or a cloud SDK.

    Only when it does not answer does the CLI's `connect-proxy` ask the cloud (start the VM,
    respecting a recent stop). An old address that now answers for someone else is caught by
    ssh's host key check, as without the ProxyCommand. SSM entries (`-- COMMAND`) are left to
    the CLI: see `desktop.cli.connect_proxy`.
    """
    if len(args) != 3 or not args[2].isdigit():
        return False
    from desktop.remote.relay import relay, ssh_answer

    answer = ssh_answer(args[1], int(args[2]), FAST_PATH_SECONDS)
    if not isinstance(answer, tuple):
        return False
    relay(*answer, sys.stdin.buffer, sys.stdout.buffer)
    return True


if __name__ == "__main__":
    sys.exit(main())
