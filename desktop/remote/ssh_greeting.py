"""Does a freshly launched VM answer SSH where devtray's SSH block will point for it?

Used by a market switch before the old instance may go: the new one's address is the one
its entry would get (the config's host override, else its own address), and "answers" means
its SSH server sends its greeting. Bounded: `probes` tries, `[polling] fast_seconds` apart.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from desktop.core.config import Config
from desktop.core.model import VmSnapshot
from desktop.remote.relay import ssh_answer
from desktop.remote.ssh_config import SshConfigWriter, ssm_from_tools

# 150 tries 2 s apart (the default fast poll): 5 minutes for the boot and cloud-init.
SSH_PROBES = 150
GREETING_TIMEOUT = 5.0


def ssh_answers(
    new: VmSnapshot, others: Sequence[VmSnapshot], config: Config, probes: int = SSH_PROBES
) -> bool:
    """True once `new` greets over SSH at the address its SSH block entry will dial."""
    writer = SshConfigWriter(ssm=ssm_from_tools(config))
    entry = writer.plan([*others, new], config).entry_for(new.id)
    if entry is None or entry.hostname is None:
        return False
    port = int(dict(entry.options).get("Port", "22"))
    for _probe in range(probes):
        if _greets(entry.hostname, port):
            return True
        time.sleep(config.polling.fast_seconds)
    return False


def _greets(host: str, port: int) -> bool:
    # The same greeting check start on connect's fast path makes (`relay.ssh_answer`).
    answer = ssh_answer(host, port, GREETING_TIMEOUT)
    if isinstance(answer, str):
        return False
    answer[0].close()
    return True
