"""The demo's stand-in VM: this machine, reached the way a cloud VM is, so `devtray --demo` can
show the whole day without an account.

"Starting" the demo VM starts a private OpenSSH server on a free 127.0.0.1 port (its own host
key, key-only, only devtray's demo key is let in) and a small web app behind it (the demo
project's port); "stopping" it stops both. The VM's disk is a folder under devtray's data dir,
so the real sync engine (rsync over ssh) and the real tunnels carry the demo day. Nothing here
listens on anything but 127.0.0.1, and none of it touches the user's own SSH files.

Where this computer cannot play the VM over SSH (no OpenSSH server, as on most Windows PCs and
Macs without Remote Login; no ssh client; no rsync for the sync), the stand-in is *simulated*:
`simulated` says why, "starting" it starts only the web app, and the demo's day reaches it
through `standin_link.StandInLink` (a local copy, local forwards) instead of SSH.
"""

from __future__ import annotations

import getpass
import logging
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.core.errors import DevtrayError
from desktop.core.text import QT_TRANSLATE_NOOP, Text
from desktop.remote.tunnels import free_loopback_port

if TYPE_CHECKING:  # the web app's server loads only when the VM boots (http.server pulls in ssl)
    from http.server import ThreadingHTTPServer

log = logging.getLogger(__name__)

STOP_WAIT = 5.0
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")

# Where a program is (None: not installed); the tests hand in a PATH-only lookup.
Which = Callable[[str], str | None]


class StandInMissing(DevtrayError):
    """The stand-in needs OpenSSH's server and client on this machine."""

    title = "The demo VM cannot start here"


@dataclass(frozen=True)
class StandInAccess:
    """How devtray reaches the stand-in: the `[vm."demo-devbox"]` settings of a real VM."""

    host: str
    port: int
    user: str
    identity_file: Path
    disk: Path  # the VM's "disk": its projects live here
    app_port: int  # where the VM's web app listens (the demo project forwards it)


def system_which(name: str) -> str | None:
    """`name` on PATH, else in the sbin folders (sshd lives there, often off a user's PATH)."""
    return shutil.which(name) or _sbin(name)


def missing_for_ssh(which: Which) -> Text | None:
    """Why this computer cannot play the demo VM over SSH, or None when it can."""
    if which("sshd") is None:
        return QT_TRANSLATE_NOOP("standin", "no OpenSSH server on this computer")
    if which("ssh") is None or which("ssh-keygen") is None:
        return QT_TRANSLATE_NOOP("standin", "no OpenSSH client on this computer")
    if which("rsync") is None:
        return QT_TRANSLATE_NOOP("standin", "no rsync on this computer")
    return None


class StandInVm:
    """The demo VM's machine: a private sshd and a web app, started and stopped with the VM
    (only the web app where it is simulated)."""

    def __init__(self, root: Path, which: Which = system_which) -> None:
        self.root = root
        self.disk = root / "vm"
        self.ssh_port = free_loopback_port()
        self.app_port = free_loopback_port()
        self._which = which
        self.simulated = missing_for_ssh(which)  # decided once, as the demo is composed
        self._lock = threading.Lock()
        self._children: list[subprocess.Popen[bytes]] = []
        self._app: ThreadingHTTPServer | None = None

    @property
    def access(self) -> StandInAccess:
        """What the demo's SSH block says (host, port, user, key)."""
        return StandInAccess(
            "127.0.0.1",
            self.ssh_port,
            getpass.getuser(),
            self.root / "client_ed25519",
            self.disk,
            self.app_port,
        )

    @property
    def running(self) -> bool:
        """True while the stand-in is up (its sshd runs; simulated: its web app)."""
        with self._lock:
            if self.simulated is not None:
                return self._app is not None
            return any(child.poll() is None for child in self._children)

    def prepare(self) -> None:
        """Keys and the sshd config, made once (they stay between demo runs)."""
        sshd, keygen = self._which("sshd"), self._which("ssh-keygen")
        if sshd is None or keygen is None:
            raise StandInMissing(
                "The demo VM is this computer reached over SSH, and OpenSSH's server is not "
                "installed.",
                hint="Install openssh-server (Linux) or turn on Remote Login (macOS), then "
                "start the demo VM again.",
            )
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.disk.mkdir(exist_ok=True)
        for name in ("host_ed25519", "client_ed25519"):
            key = self.root / name
            if not key.exists():
                subprocess.run(
                    [
                        keygen,
                        "-q",
                        "-t",
                        "ed25519",
                        "-N",
                        "",
                        "-C",
                        f"devtray-demo-{name}",
                        "-f",
                        str(key),
                    ],
                    check=True,
                    timeout=30,
                    stdin=subprocess.DEVNULL,
                )
        authorized = self.root / "authorized_keys"
        authorized.write_text((self.root / "client_ed25519.pub").read_text())
        authorized.chmod(0o600)
        lines = [
            f"Port {self.ssh_port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {self.root / 'host_ed25519'}",
            f"AuthorizedKeysFile {authorized}",
            f"PidFile {self.root / 'sshd.pid'}",
            f"AllowUsers {getpass.getuser()}",
            "UsePAM no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            "PermitRootLogin prohibit-password",
            "StrictModes no",
            "AllowTcpForwarding local",
            "X11Forwarding no",
            "",
        ]
        (self.root / "sshd_config").write_text("\n".join(lines))

    def start(self) -> None:
        """The demo VM came up: start its sshd and its web app (idempotent)."""
        with self._lock:
            if self.simulated is not None:
                self._start_simulated()
                return
            if any(child.poll() is None for child in self._children):
                return
            self.prepare()
            sshd = self._which("sshd")
            assert sshd is not None
            if _is_root():
                Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation
            log_file = (self.root / "sshd.log").open("ab")
            try:
                self._children = [
                    subprocess.Popen(
                        [sshd, "-D", "-e", "-f", str(self.root / "sshd_config")],
                        stdout=log_file,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                    ),
                ]
            finally:
                log_file.close()
            self._app = _web_app(self.disk, self.app_port)
            log.info("demo VM up: sshd on 127.0.0.1:%d, app on :%d", self.ssh_port, self.app_port)

    def _start_simulated(self) -> None:
        """Under the lock: the simulated machine is its disk and its web app."""
        if self._app is not None:
            return
        self.disk.mkdir(parents=True, exist_ok=True)
        self._app = _web_app(self.disk, self.app_port)
        log.info("demo VM up (simulated: %s): app on :%d", self.simulated, self.app_port)

    def stop(self) -> None:
        """The demo VM stopped: its sshd, every session (and what runs in them, like a VM's
        processes when it powers off) and its web app end."""
        import psutil

        with self._lock:
            children, self._children = self._children, []
            app, self._app = self._app, None
        if app is not None:
            app.shutdown()
            app.server_close()
        processes: list[psutil.Process] = []
        for child in children:
            try:
                parent = psutil.Process(child.pid)
                processes += [*parent.children(recursive=True), parent]
            except psutil.NoSuchProcess:
                continue
        for process in processes:
            try:
                process.terminate()
            except psutil.NoSuchProcess:
                continue
        _gone, alive = psutil.wait_procs(processes, timeout=STOP_WAIT)
        for process in alive:
            process.kill()
        for child in children:
            child.wait(timeout=STOP_WAIT)


def _web_app(folder: Path, port: int) -> ThreadingHTTPServer:
    """The VM's web app: the project's files over HTTP on 127.0.0.1 (what a tunnel reaches)."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            log.debug("demo app: " + format, *args)

    server = ThreadingHTTPServer(("127.0.0.1", port), partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, name="demo-vm-app", daemon=True).start()
    return server


def _sbin(name: str) -> str | None:
    for folder in _SBIN:
        path = Path(folder) / name
        if path.exists():
            return str(path)
    return None


def _is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0
