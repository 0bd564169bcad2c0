"""The devtray sync agent: runs ON THE VM, stdlib only, Python >= 3.8.

The laptop starts it through its shared SSH connection (`python3 -c BOOTSTRAP`, the bootstrap
reading this file from stdin and checking its sha256) and talks to it in frames on
stdin/stdout. A frame is `>II` (header length, body length), a JSON header, then the body.
Every request carries an `id`; the agent answers each, in order, with `{"id", "ok"}` or
`{"id", "error"[, "refused"]}`. The laptop never waits for one answer before sending the
next request (pipelining); the agent handles requests strictly in arrival order.

The agent works only inside the project's folder on the VM and only once that folder is
devtray's: the laptop's owned-folder check (ownership.py) runs first and writes
`.devtray/owned`, and the agent refuses a folder without it. It refuses paths with `..`,
absolute paths, writes through a symlinked parent and symlinks that point out. What it
overwrites or deletes goes to `.devtray/trash/<day>/<path>~<HHMMSS.mmm>` first; files arrive
in `.devtray/incoming` and are renamed into place once complete, so a link that drops mid-file
never leaves half a file where the project expects a whole one.

This file is also imported by the laptop (for its text and version), never executed there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
import select
import shutil
import signal
import stat
import struct
import sys
import time
from datetime import date, datetime, timedelta
from typing import IO, Any, Dict  # noqa: UP035 (the alias below runs on 3.8)

VERSION = 1
STATE_DIR = ".devtray"
OWNED = STATE_DIR + "/owned"
TRASH = STATE_DIR + "/trash"
TMP = STATE_DIR + "/incoming"
PID_FILE = STATE_DIR + "/agent.json"
HEADER = struct.Struct(">II")
MAX_HEADER = 16 * 1024 * 1024
READ_CHUNK = 1024 * 1024
FLUSH_EVERY = 0.2

Header = Dict[str, Any]  # noqa: UP006 (evaluated at run time, and the VM may run 3.8)


class Refused(Exception):
    """A request the agent will not carry out (outside the folder, not devtray's folder)."""


def read_frame(stream: IO[bytes]) -> tuple[Header, bytes] | None:
    """The next frame from `stream`, or None at a clean end of input."""
    head = stream.read(HEADER.size)
    if not head:
        return None
    if len(head) < HEADER.size:
        raise EOFError("input ended inside a frame")
    header_len, body_len = HEADER.unpack(head)
    if header_len > MAX_HEADER:
        raise ValueError("frame header too large")
    raw = stream.read(header_len)
    body = stream.read(body_len) if body_len else b""
    if len(raw) < header_len or len(body) < body_len:
        raise EOFError("input ended inside a frame")
    header = json.loads(raw.decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("frame header is not an object")
    return header, body


def frame(header: Header, body: bytes = b"") -> bytes:
    """`header` and `body` as one frame."""
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    return HEADER.pack(len(raw), len(body)) + raw + body


def check_rel(path: object) -> str:
    """`path` if it is a plain relative path inside the folder (no `..`, not absolute)."""
    if not isinstance(path, str) or not path or "\0" in path:
        raise Refused(f"not a path: {path!r}")
    if path.startswith("/"):
        raise Refused(f"absolute path refused: {path}")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise Refused(f"path outside the project refused: {path}")
    if parts[0] == STATE_DIR:
        raise Refused(f"devtray's own folder is not synced: {path}")
    return path


def owned_root(wanted: str) -> str:
    """The project folder, once it is devtray's (its marker is there); Refused otherwise.

    The owned-folder check itself (the home, `/`, `~/.ssh`, claiming an empty folder,
    `--adopt`, folders an older devtray synced) is the laptop's, run on the VM before the
    agent starts (desktop/remote/sync/ownership.py); the agent only relies on its outcome.
    """
    root = os.path.realpath(os.path.expanduser(wanted))
    marker = os.path.join(root, OWNED)
    if not os.path.isfile(marker) or os.path.islink(marker):
        raise Refused(f"{root} is not a folder devtray owns (no {OWNED}): nothing is synced there")
    return root


class Agent:
    """Carries out requests inside one owned folder."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.root = ""
        self.open_files: dict[str, tuple[IO[bytes], str]] = {}
        self.failed: dict[object, Header] = {}

    # -- answers --------------------------------------------------------------------------

    def answer(self, header: Header, body: bytes = b"") -> None:
        """Queue an answer (the main loop flushes when no request is waiting)."""
        self.out.write(frame(header, body))

    def handle(self, header: Header, body: bytes) -> bool:
        """Carry out one request and answer it; False once the laptop said goodbye."""
        op = header.get("op")
        ident = header.get("id")
        if op == "bye":
            return False
        final = header.get("final", True)
        if op == "put" and ident in self.failed:
            # A file whose earlier chunk failed: drop the rest, answer once at its end.
            if final:
                self.answer(self.failed.pop(ident))
            return True
        try:
            if op != "hello" and not self.root:
                raise Refused("no hello yet")
            method = getattr(self, "op_" + str(op), None)
            if method is None:
                raise Refused(f"unknown request {op!r}")
            result = method(header, body)
        except Refused as refusal:
            self.fail(header, {"id": ident, "error": str(refusal), "refused": True})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.fail(header, {"id": ident, "error": f"{type(exc).__name__}: {exc}"})
        else:
            if result is not None:
                result["id"] = ident
                self.answer(result)
        return True

    def fail(self, header: Header, answer: Header) -> None:
        """Answer a failed request (for a file's chunk: at its last chunk)."""
        self.discard(header.get("path"))
        if header.get("op") == "put" and not header.get("final", True):
            self.failed[header.get("id")] = answer
        else:
            self.answer(answer)

    # -- paths ----------------------------------------------------------------------------

    def full(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    def parent_ready(self, rel: str) -> str:
        """The path on disk for `rel`, its parent folders made; Refused through a symlink."""
        parts = rel.split("/")
        current = self.root
        for part in parts[:-1]:
            current = os.path.join(current, part)
            try:
                info = os.lstat(current)
            except FileNotFoundError:
                os.mkdir(current)
                continue
            if stat.S_ISLNK(info.st_mode):
                raise Refused(f"writing through a symlinked folder refused: {rel}")
            if not stat.S_ISDIR(info.st_mode):
                self.to_trash(current)
                os.mkdir(current)
        return os.path.join(current, parts[-1])

    def inside(self, rel: str) -> str:
        """The path on disk for an existing `rel` whose parents are real folders (or None)."""
        current = self.root
        parts = rel.split("/")
        for part in parts[:-1]:
            current = os.path.join(current, part)
            if not os.path.isdir(current) or os.path.islink(current):
                raise Refused(f"path through a symlink or a file refused: {rel}")
        return os.path.join(current, parts[-1])

    # -- the trash ------------------------------------------------------------------------

    def to_trash(self, path: str) -> bool:
        """Move what is at `path` (anything) into today's trash; False if nothing was there."""
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return False
        if stat.S_ISDIR(info.st_mode):
            for name in os.listdir(path):
                self.to_trash(os.path.join(path, name))
            os.rmdir(path)
            return True
        now = datetime.now()
        rel = os.path.relpath(path, self.root)
        kept = os.path.join(
            self.root,
            TRASH,
            now.strftime("%Y-%m-%d"),
            f"{rel}~{now:%H%M%S}.{now.microsecond // 1000:03d}",
        )
        os.makedirs(os.path.dirname(kept), exist_ok=True)
        unique, count = kept, 0
        while os.path.lexists(unique):  # two copies within a millisecond: keep both
            count += 1
            unique = f"{kept}-{count}"
        os.replace(path, unique)
        return True

    def prune_trash(self, keep_days: int) -> None:
        cutoff = date.today() - timedelta(days=keep_days)
        trash = self.full(TRASH)
        if not os.path.isdir(trash):
            return
        for name in os.listdir(trash):
            try:
                day = date(int(name[0:4]), int(name[5:7]), int(name[8:10]))
            except ValueError:
                continue
            if len(name) == 10 and day <= cutoff:
                shutil.rmtree(os.path.join(trash, name), ignore_errors=True)

    # -- requests -------------------------------------------------------------------------

    def op_hello(self, header: Header, body: bytes) -> Header:
        root = owned_root(str(header["root"]))
        self.replace_older_agent(root)
        self.root = root
        shutil.rmtree(self.full(TMP), ignore_errors=True)  # a dead agent's half files
        os.makedirs(self.full(TMP), exist_ok=True)
        self.prune_trash(int(header.get("trash_days", 7)))
        return {"ok": True, "root": root, "version": VERSION, "pid": os.getpid()}

    def replace_older_agent(self, root: str) -> None:
        """End an agent still running for this folder (an older version, or one whose link
        dropped), so only one writes here."""
        pid_file = os.path.join(root, PID_FILE)
        try:
            with open(pid_file) as handle:
                old = json.load(handle)
            pid = int(old["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            pid = 0
        if pid > 0 and pid != os.getpid() and _is_agent(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 3
            while _is_agent(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
        with open(pid_file + ".new", "w") as handle:
            json.dump({"pid": os.getpid(), "version": VERSION}, handle)
        os.replace(pid_file + ".new", pid_file)

    def op_put(self, header: Header, body: bytes) -> Header | None:
        """A file's bytes, in one or more chunks; the last one puts it in place."""
        rel = check_rel(header["path"])
        entry = self.open_files.get(rel)
        if entry is None or header.get("offset", 0) == 0:
            self.discard(rel)
            self.parent_ready(rel)  # refuse before the bytes arrive, not after
            temp = os.path.join(self.full(TMP), f"put-{int(header['id'])}")
            entry = (open(temp, "wb"), temp)  # noqa: SIM115 (open across chunk frames)
            self.open_files[rel] = entry
        handle, temp = entry
        handle.write(body)
        if not header.get("final", True):
            return None
        handle.close()
        os.chmod(temp, int(header.get("mode", 0o644)) & 0o7777)
        mtime = int(header["mtime_ns"])
        os.utime(temp, ns=(mtime, mtime))
        target = self.parent_ready(rel)
        self.to_trash(target)
        os.replace(temp, target)
        del self.open_files[rel]
        return {"ok": True, "changed": True}

    def discard(self, path: object) -> None:
        entry = self.open_files.pop(path, None) if isinstance(path, str) else None
        if entry is not None:
            entry[0].close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry[1])

    def op_mkdir(self, header: Header, body: bytes) -> Header:
        rel = check_rel(header["path"])
        target = self.parent_ready(rel)
        mode = int(header.get("mode", 0o755)) & 0o7777
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            os.mkdir(target)
            os.chmod(target, mode)
            return {"ok": True, "changed": True}
        if stat.S_ISDIR(info.st_mode):
            if stat.S_IMODE(info.st_mode) != mode:
                os.chmod(target, mode)
            return {"ok": True, "changed": False}
        self.to_trash(target)
        os.mkdir(target)
        os.chmod(target, mode)
        return {"ok": True, "changed": True}

    def op_symlink(self, header: Header, body: bytes) -> Header:
        rel = check_rel(header["path"])
        link = str(header["target"])
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), link))
        if link.startswith("/") or resolved == ".." or resolved.startswith("../"):
            raise Refused(f"symlink pointing out of the project refused: {rel} -> {link}")
        target = self.parent_ready(rel)
        try:
            if os.readlink(target) == link:
                return {"ok": True, "changed": False}
        except OSError:
            pass
        temp = os.path.join(self.full(TMP), f"link-{int(header['id'])}")
        os.symlink(link, temp)
        self.to_trash(target)
        os.replace(temp, target)
        return {"ok": True, "changed": True}

    def op_delete(self, header: Header, body: bytes) -> Header:
        rel = check_rel(header["path"])
        try:
            target = self.inside(rel)
        except Refused:
            return {"ok": True, "changed": False}  # its parent is not a folder: nothing there
        return {"ok": True, "changed": self.to_trash(target)}

    def op_touch(self, header: Header, body: bytes) -> Header:
        """Same bytes on both sides: take the laptop's modification time and mode."""
        target = self.inside(check_rel(header["path"]))
        if os.path.islink(target):
            raise Refused(f"not touching a symlink: {header['path']}")
        os.chmod(target, int(header["mode"]) & 0o7777)
        mtime = int(header["mtime_ns"])
        os.utime(target, ns=(mtime, mtime))
        return {"ok": True, "changed": False}

    def op_manifest(self, header: Header, body: bytes) -> Header:
        """Every entry under the folders `under` (default: all), minus top-level `skip`."""
        skip = set(header.get("skip", [])) | {STATE_DIR}
        entries: list[list[Any]] = []
        for base in header.get("under") or [""]:
            start = self.inside(check_rel(base)) if base else self.root
            if base and (not os.path.isdir(start) or os.path.islink(start)):
                continue
            if base:
                entries.append(_entry(base, os.lstat(start)))
            self.walk(start, base, skip, entries)
        return {"ok": True, "entries": entries}

    def walk(self, folder: str, rel: str, skip: Any, entries: list[list[Any]]) -> None:
        try:
            listing = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return
        for item in listing:
            path = rel + "/" + item.name if rel else item.name
            if path in skip:
                continue
            info = item.stat(follow_symlinks=False)
            entries.append(_entry(path, info, item.path))
            if stat.S_ISDIR(info.st_mode):
                self.walk(item.path, path, skip, entries)

    def op_hash(self, header: Header, body: bytes) -> Header:
        hashes: dict[str, str | None] = {}
        for rel in header["paths"]:
            try:
                hashes[rel] = _sha256(self.inside(check_rel(rel)))
            except (OSError, Refused):
                hashes[rel] = None
        return {"ok": True, "hashes": hashes}

    def op_read(self, header: Header, body: bytes) -> Header:
        """A file's bytes for a pull: chunk frames, then the answer with its attributes."""
        target = self.inside(check_rel(header["path"]))
        with open(target, "rb") as handle:
            info = os.fstat(handle.fileno())
            while True:
                chunk = handle.read(READ_CHUNK)
                if not chunk:
                    break
                self.answer({"id": header["id"], "chunk": True}, chunk)
        return {"ok": True, "mode": stat.S_IMODE(info.st_mode), "mtime_ns": info.st_mtime_ns}


def _entry(path: str, info: os.stat_result, full: str = "") -> list[Any]:
    """`[path, kind, size, mtime_ns, mode, link target]` for the manifest."""
    if stat.S_ISLNK(info.st_mode):
        return [path, "l", 0, 0, 0, os.readlink(full)]
    kind = "d" if stat.S_ISDIR(info.st_mode) else "f" if stat.S_ISREG(info.st_mode) else "o"
    return [path, kind, info.st_size, info.st_mtime_ns, stat.S_IMODE(info.st_mode), None]


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(READ_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_agent(pid: int) -> bool:
    """True if `pid` is a devtray agent (its command line says so; Linux /proc)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"devtray-agent" in handle.read()
    except OSError:
        return False


def main() -> int:
    """Serve requests from stdin until it ends or the laptop says goodbye."""
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    agent = Agent(stdout)
    agent.answer({"agent": VERSION, "python": list(sys.version_info[:3])})
    stdout.flush()
    flushed = time.monotonic()
    while True:
        received = read_frame(stdin)
        if received is None or not agent.handle(*received):
            stdout.flush()
            return 0
        # Answers go out together while requests keep coming (one write, one packet, for
        # many), and at once when the laptop has sent nothing more, or every 0.2 s.
        if time.monotonic() - flushed > FLUSH_EVERY or not select.select([stdin], [], [], 0)[0]:
            stdout.flush()
            flushed = time.monotonic()


if __name__ == "__main__":
    sys.exit(main())
