"""Start on connect: what `devtray connect-proxy` costs, side by side with the block without it.

Against moto (server mode) and a real sshd, both on 127.0.0.1 only. The baseline is the same
devtray block written with `[connect] start_on_connect = false` (no ProxyCommand). Every ssh runs
with `ControlPath=none`, so each connection pays what a first (unshared) one pays.

1. new connection to a running VM (`ssh -s ALIAS sftp`): proxy vs none;
2. throughput: `scp` of a 64 MiB file up to the VM through the relay vs direct;
3. from stopped to connected: `ssh ALIAS true` against a stopped VM (moto starts instantly, so
   this is devtray's own work: the fast path's attempt, lookup, start call, polling, SSH wait).
   This block reaches the sshd through `tests/integration/vm_network.py`, which closes
   connections while moto says the VM is stopped (else the fast path would find it answering).

Run: `.venv/bin/python benchmarks/start_on_connect.py [--rounds N]`
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.vm_network import vm_network
from tests.moto_server import ec2_client, run_instance
from tests.sshd import SshServer, make_sshd

ALIAS = "bench.devtray"
PAYLOAD_MIB = 64
SSH = ["ssh", "-o", "BatchMode=yes", "-o", "ControlPath=none"]


def _timed(argv: Sequence[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stderr.decode(errors='replace')}")
    return time.perf_counter() - started


def _environment(root: Path, moto_url: str) -> None:
    """This process and its children: moto, fake credentials, a private HOME and config."""
    home = root / "home"
    (home / ".ssh").mkdir(parents=True)
    os.environ.update(
        {
            "HOME": str(home),
            "DEVTRAY_CONFIG_DIR": str(root / "config"),
            "XDG_STATE_HOME": str(root / "state"),
            "XDG_DATA_HOME": str(root / "data"),
            "DEVTRAY_LOG_DIR": str(root / "log"),
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(root / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(root / "aws-credentials"),
        }
    )


def _write_block(
    root: Path, sshd: SshServer, start_on_connect: bool, name: str, port: int | None = None
) -> Path:
    config = root / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[aws]\nregion = "eu-west-1"\n\n[vm."bench"]\nhost = "127.0.0.1"\n'
        f'port = {port or sshd.port}\nuser = "{sshd.user}"\nidentity_file = "{sshd.client_key}"\n\n'
        f"[connect]\nstart_on_connect = {'true' if start_on_connect else 'false'}\n"
    )
    subprocess.run([sys.executable, "-m", "desktop", "ssh-config"], check=True, timeout=60)
    written = Path(os.environ["HOME"]) / ".ssh" / "config"
    copy = root / name
    copy.write_bytes(written.read_bytes())
    return copy


def main() -> int:
    """Measure and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        with tempfile.TemporaryDirectory(prefix="dt-soc-", dir="/tmp") as scratch:
            root = Path(scratch)
            _environment(root, f"http://127.0.0.1:{moto.get_host_and_port()[1]}")
            sshd = make_sshd(root / "sshd")
            sshd.start()
            try:
                return _measure(root, sshd, args.rounds)
            finally:
                sshd.stop()
    finally:
        moto.stop()


def _measure(root: Path, sshd: SshServer, rounds: int) -> int:
    vm_id = run_instance("bench")
    with vm_network(vm_id, sshd.port) as network:
        return _measure_vm(root, sshd, rounds, vm_id, network)


def _measure_vm(root: Path, sshd: SshServer, rounds: int, vm_id: str, network: int) -> int:
    direct = _write_block(root, sshd, False, "without-proxy")
    proxied = _write_block(root, sshd, True, "with-proxy")
    # Last: the proxy's slow path reads this config (the VM's address is the network's port).
    starting = _write_block(root, sshd, True, "stopped-vm", port=network)
    assert "connect-proxy" in proxied.read_text() and "connect-proxy" not in direct.read_text()
    payload = root / "payload.bin"
    payload.write_bytes(os.urandom(PAYLOAD_MIB * 1024 * 1024))
    target = root / "on-vm.bin"

    def connect(config: Path) -> list[str]:
        return [*SSH, "-F", str(config), "-s", ALIAS, "sftp"]

    def copy(config: Path) -> list[str]:
        return ["scp", "-q", "-o", "BatchMode=yes", "-o", "ControlPath=none", "-F", str(config)]

    _timed(connect(direct))  # pin the host key, warm both paths
    _timed(connect(proxied))
    times: dict[str, list[float]] = {key: [] for key in ("direct", "proxied", "scp_d", "scp_p")}
    start_times: list[float] = []
    for _ in range(rounds):
        times["direct"].append(_timed(connect(direct)))
        times["proxied"].append(_timed(connect(proxied)))
        times["scp_d"].append(_timed([*copy(direct), str(payload), f"{ALIAS}:{target}"]))
        times["scp_p"].append(_timed([*copy(proxied), str(payload), f"{ALIAS}:{target}"]))
        ec2_client().stop_instances(InstanceIds=[vm_id])  # not by the user: starts on connect
        start_times.append(_timed([*SSH, "-F", str(starting), ALIAS, "true"]))
    med = {key: statistics.median(values) for key, values in times.items()}
    start = statistics.median(start_times)
    mib = PAYLOAD_MIB
    print(f"rounds: {rounds}, medians; loadavg {os.getloadavg()[0]:.1f}")
    print(f"new connection, no ProxyCommand        {med['direct'] * 1000:7.0f} ms")
    print(f"new connection, devtray connect-proxy  {med['proxied'] * 1000:7.0f} ms")
    print(
        f"   added per new connection           {(med['proxied'] - med['direct']) * 1000:7.0f} ms"
    )
    print(f"scp {mib} MiB direct                   {mib / med['scp_d']:7.0f} MiB/s")
    print(f"scp {mib} MiB through the relay        {mib / med['scp_p']:7.0f} MiB/s")
    print(f"   relay / direct throughput          {med['scp_d'] / med['scp_p']:7.2f}")
    print(f"stopped -> connected (moto: instant)   {start:7.2f} s   (target <= 5 s)")
    return 0 if start <= 5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
