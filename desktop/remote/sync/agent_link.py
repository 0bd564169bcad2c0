"""The laptop's end of the VM agent: starting it over SSH and talking to it in frames.

One long-lived `ssh HOST python3 -c BOOTSTRAP` session (over the engine's shared connection)
runs `agent_vm.py`, which the bootstrap reads from stdin and checks against its sha256 before
running it. Requests are written back to back (pipelined); a reader thread matches each answer
to its request by id. The channel is dead once ssh ends or a read fails; a new one replaces it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from desktop.core.errors import BadConfig
from desktop.remote.sync import agent_vm, children
from desktop.remote.sync.rsync import RunFailed

log = logging.getLogger(__name__)

SCRIPT = Path(agent_vm.__file__).read_bytes()
SCRIPT_SHA = hashlib.sha256(SCRIPT).hexdigest()
# Constant text (no data is ever put into it): the remote shell gets it in single quotes. It
# checks Python's version, reads exactly the script from stdin, checks its hash and runs it.
BOOTSTRAP = (
    "import sys,hashlib;v=sys.version_info;"
    "v>=(3,8) or sys.exit('devtray agent: Python >= 3.8 is needed on the VM, found %d.%d'%v[:2]);"
    "n=int(sys.argv[2]);b=sys.stdin.buffer.read(n);"
    "hashlib.sha256(b).hexdigest()==sys.argv[3] or sys.exit('devtray agent: script damaged');"
    "exec(compile(b,'devtray-agent','exec'),{'__name__':'__main__'})"
)
# The agent's marker in its command line (how a newer agent finds an older one to replace).
MARKER = "devtray-agent"
START_TIMEOUT = 20.0
# No answer for this long while requests are outstanding: the link is stalled.
ANSWER_TIMEOUT = 30.0
MISSING_PYTHON_CODE = 127


class AgentRefused(BadConfig):
    """The agent on the VM found no owned marker in the project folder (it went away after
    the owned-folder check)."""


def remote_command() -> str:
    """The command ssh asks the VM's shell to run (constants only, see BOOTSTRAP)."""
    return f'python3 -c "{BOOTSTRAP}" {MARKER}-{agent_vm.VERSION} {len(SCRIPT)} {SCRIPT_SHA}'


@dataclass
class Pending:
    """One request's answer, once it came (and a read's chunks)."""

    header: dict[str, Any] | None = None
    chunks: list[bytes] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def error(self) -> str | None:
        """The agent's error text, if it failed the request."""
        return None if self.header is None else self.header.get("error")

    @property
    def refused(self) -> bool:
        """True when the agent refused the request on principle (outside the folder...)."""
        return self.header is not None and bool(self.header.get("refused"))


class AgentChannel:
    """A running agent for one remote folder; `request` pipelines, `wait` collects."""

    def __init__(self, argv: list[str], root: str, trash_days: int) -> None:
        self._argv = argv
        self._root = root
        self._trash_days = trash_days
        self._process: subprocess.Popen[bytes] | None = None
        self._write_lock = threading.Lock()
        self._cond = threading.Condition()
        self._pending: dict[int, Pending] = {}
        self._next_id = 0
        self._alive = False
        self._progress = time.monotonic()
        self.greeting: dict[str, Any] = {}
        self.version = 0
        self.pid: int | None = None  # the agent's process id on the VM

    @property
    def alive(self) -> bool:
        """True until ssh ends or the stream breaks."""
        return self._alive

    def open(self) -> None:
        """Start the agent and say hello; RunFailed (offline) if the VM cannot be reached,
        BadConfig if it has no usable python3, AgentRefused if the folder is not marked owned."""
        self._process = process = children.spawn(
            [*self._argv, remote_command()], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert process.stdin is not None and process.stdout is not None
        self._alive = True
        # The agent greets first, unasked: its answer is registered before the reader runs.
        greeting = self.request({"op": "greeting"}, send=False, ident=-1)
        threading.Thread(
            target=self._read, args=(process.stdout,), name="sync-agent-reader", daemon=True
        ).start()
        try:
            process.stdin.write(SCRIPT)
            process.stdin.flush()
        except OSError:
            pass  # ssh ended already: the wait below says why
        self.wait([greeting], START_TIMEOUT)
        assert greeting.header is not None
        self.greeting = greeting.header
        hello = self.request({"op": "hello", "root": self._root, "trash_days": self._trash_days})
        self.wait([hello], START_TIMEOUT)
        if hello.error:
            self.close()
            if hello.refused:
                raise AgentRefused(hello.error, hint="devtray checks the folder again and retries.")
            raise RunFailed(f"the sync agent failed to start: {hello.error}", offline=False)
        assert hello.header is not None
        self.version = int(hello.header.get("version", 0))
        self.pid = int(hello.header.get("pid", 0)) or None

    def request(
        self,
        header: dict[str, Any],
        body: bytes = b"",
        *,
        send: bool = True,
        ident: int | None = None,
        answered: bool = True,
    ) -> Pending:
        """Send a request now, without waiting for its answer (`answered=False`: a chunk
        whose answer comes with the file's last chunk, under the same id)."""
        pending = Pending()
        with self._cond:
            if ident is None:
                self._next_id += 1
                ident = self._next_id
            if answered:
                self._pending[ident] = pending
        if send:
            self._send({**header, "id": ident}, body)
        return pending

    def next_id(self) -> int:
        """A fresh id for a file sent in several chunks."""
        with self._cond:
            self._next_id += 1
            return self._next_id

    def _send(self, header: dict[str, Any], body: bytes) -> None:
        process = self._process
        if process is None or process.stdin is None or not self._alive:
            raise RunFailed("the sync agent is not running", offline=True)
        try:
            with self._write_lock:
                process.stdin.write(agent_vm.frame(header, body))
        except (OSError, ValueError) as exc:
            self._died()
            raise RunFailed(f"the link to the sync agent broke: {exc}", offline=True) from None

    def flush(self) -> None:
        """Push what was written on to ssh (requests are buffered until then)."""
        process = self._process
        try:
            with self._write_lock:
                if process is not None and process.stdin is not None:
                    process.stdin.flush()
        except (OSError, ValueError) as exc:
            self._died()
            raise RunFailed(f"the link to the sync agent broke: {exc}", offline=True) from None

    def wait(self, pendings: list[Pending], stall: float = ANSWER_TIMEOUT) -> None:
        """Flush, then block until every request is answered; RunFailed (offline) when the
        agent dies or nothing arrives for `stall` seconds."""
        self.flush()
        with self._cond:
            self._progress = time.monotonic()
            for pending in pendings:
                while not pending.done.is_set():
                    if not self._alive:
                        raise RunFailed(self._death_reason(), offline=True)
                    left = self._progress + stall - time.monotonic()
                    if left <= 0:
                        self._cond.release()
                        try:
                            self.close()
                        finally:
                            self._cond.acquire()
                        raise RunFailed("the sync agent stopped answering", offline=True)
                    self._cond.wait(min(left, 1.0))

    def _read(self, stream: IO[bytes]) -> None:
        try:
            while True:
                received = agent_vm.read_frame(stream)
                if received is None:
                    break
                header, body = received
                ident = -1 if "agent" in header else int(header.get("id") or 0)
                with self._cond:
                    self._progress = time.monotonic()
                    pending = self._pending.get(ident)
                    if pending is None:
                        log.warning("unexpected answer from the sync agent: %s", header)
                        continue
                    if header.get("chunk"):
                        pending.chunks.append(body)
                        continue
                    del self._pending[ident]
                    pending.header = header
                    pending.done.set()
                    self._cond.notify_all()
        except (OSError, ValueError, EOFError) as exc:
            log.info("sync agent stream ended: %s", exc)
        self._died()

    def _died(self) -> None:
        with self._cond:
            self._alive = False
            self._cond.notify_all()

    def _death_reason(self) -> str:
        process = self._process
        if process is None:
            return "the sync agent is not running"
        try:
            code = process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "the link to the sync agent broke"
        err = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
        lines = [line for line in err.splitlines() if line.strip()]
        last = lines[-1].strip() if lines else ""
        if code == MISSING_PYTHON_CODE or ("python3: " in last and "not found" in last):
            raise BadConfig(
                "the VM has no python3, which the agent sync engine runs there",
                hint='Install python3 (3.8 or newer) on the VM, or set [sync] engine = "builtin".',
            )
        if "devtray agent:" in last:
            raise BadConfig(last, hint='Set [sync] engine = "builtin" in .devtray.toml.')
        return last or f"the sync agent ended (exit code {code})"

    def close(self) -> None:
        """Say goodbye and end ssh (bounded); pending waits fail."""
        process = self._process
        if process is None:
            return
        try:
            if self._alive:
                self._send({"op": "bye", "id": 0}, b"")
                self.flush()
        except RunFailed:
            pass
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            children.end(process)
        self._died()
