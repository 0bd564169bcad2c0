"""devtray idle agent: runs ON THE VM (every minute, from a systemd timer) and powers the VM
off once nobody has used it for `idle_minutes`: no SSH connection, no terminal input, low CPU,
and no snooze recorded by the devtray app. It is the safety net for a laptop that was closed
without stopping the VM.

This file is shipped to the VM by devtray over SSH (`devtray agent install`); it uses only the
Python standard library and must run on the python3 of common server images (3.8+), so it
avoids newer syntax. Sub-commands: install, status, remove, snooze, run, probe, and for spot
VMs watch (a long-running service polling the instance metadata for interruption and
rebalance notices) and notice (what the watcher last saw, read by the laptop).
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

AGENT_VERSION = 2
UNIT = "devtray-idle-agent"
WATCHER_UNIT = "devtray-spot-watcher"
# The instance metadata service (IMDSv2): only ever dialled on the VM itself (prefix /).
IMDS_URL = "http://169.254.169.254"
IMDS_TOKEN_TTL = "21600"  # noqa: S105 - seconds, not a secret
# A test's stand-in IMDS: honoured only when it is on the loopback address.
_TEST_IMDS = re.compile(r"^http://127\.0\.0\.1:[0-9]{1,5}$")
NOTICE_POLL_SECONDS = 5.0
SPOT_ACTION = "/latest/meta-data/spot/instance-action"
REBALANCE = "/latest/meta-data/events/recommendations/rebalance"
# Set by devtray's bootstrap when this source arrives on stdin (see idle_agent.py).
AGENT_SOURCE: str | None = globals().get("AGENT_SOURCE")

SERVICE_TEMPLATE = """[Unit]
Description=devtray idle agent: stop this VM when nobody has used it for a while

[Service]
Type=oneshot
ExecStart={python} {script} run --prefix {prefix}
"""

TIMER_TEMPLATE = """[Unit]
Description=Run the devtray idle agent every minute

[Timer]
OnBootSec=2min
OnUnitActiveSec=1min
AccuracySec=15s

[Install]
WantedBy=timers.target
"""

WATCHER_TEMPLATE = """[Unit]
Description=devtray spot watcher: note AWS interruption and rebalance notices for the laptop

[Service]
ExecStart={python} {script} watch --prefix {prefix}
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
"""


class Layout:
    """Where the agent's files live under `prefix` (/ on a VM, a temporary dir in tests)."""

    def __init__(self, prefix: str) -> None:
        root = Path(prefix)
        self.prefix = prefix
        self.script = root / "usr/local/lib/devtray-agent/agent.py"
        self.config = root / "etc/devtray-agent/config.json"
        self.state = root / "var/lib/devtray-agent/state.json"
        self.service = root / f"etc/systemd/system/{UNIT}.service"
        self.timer = root / f"etc/systemd/system/{UNIT}.timer"
        self.watcher = root / f"etc/systemd/system/{WATCHER_UNIT}.service"
        self.notice = root / "var/lib/devtray-agent/spot-notice.json"
        # Written by tests only (under their temporary prefix): their stand-in IMDS's URL.
        self.test_imds = root / "etc/devtray-agent/imds-url-for-tests"


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _user_home() -> str:
    # Under sudo, the snooze file belongs to the person who installed the agent.
    user = os.environ.get("SUDO_USER")
    if user:
        return pwd.getpwnam(user).pw_dir
    return os.path.expanduser("~")


def _systemctl(config: dict[str, Any], *args: str) -> str:
    command = [*config.get("systemctl", ["systemctl"]), *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)
    return (result.stdout or result.stderr).strip()


# -- install / status / remove / snooze ------------------------------------------------------


def install(args: argparse.Namespace) -> dict[str, Any]:
    """Write the script, its config and the systemd units, then start the timer."""
    if AGENT_SOURCE is None:
        raise SystemExit("install needs the agent's source on stdin (run it through devtray)")
    layout = Layout(args.prefix)
    snooze_file = args.snooze_file or os.path.join(_user_home(), ".devtray-agent", "snooze")
    config = {
        "version": AGENT_VERSION,
        "idle_minutes": args.idle_minutes,
        "cpu_busy_percent": args.cpu_busy_percent,
        "ssh_port": args.ssh_port,
        "snooze_file": snooze_file,
        "pts_dir": args.pts_dir,
        "poweroff": args.poweroff or ["systemctl", "poweroff"],
        "systemctl": args.systemctl or ["systemctl"],
    }
    _write(layout.script, AGENT_SOURCE, 0o755)
    _write(layout.config, json.dumps(config, indent=1))
    python = sys.executable or "/usr/bin/python3"
    _write(
        layout.service,
        SERVICE_TEMPLATE.format(python=python, script=layout.script, prefix=layout.prefix),
    )
    _write(layout.timer, TIMER_TEMPLATE)
    _write(
        layout.watcher,
        WATCHER_TEMPLATE.format(python=python, script=layout.script, prefix=layout.prefix),
    )
    _systemctl(config, "daemon-reload")
    _systemctl(config, "enable", "--now", f"{UNIT}.timer")
    _systemctl(config, "enable", "--now", f"{WATCHER_UNIT}.service")
    return status(args)


def status(args: argparse.Namespace) -> dict[str, Any]:
    """What is installed, and what the agent saw last time it ran."""
    layout = Layout(args.prefix)
    config = _read_json(layout.config)
    state = _read_json(layout.state)
    installed = layout.script.exists() and bool(config)
    return {
        "installed": installed,
        "version": config.get("version"),
        "bundled_version": AGENT_VERSION,
        "timer": _systemctl(config, "is-active", f"{UNIT}.timer") if installed else "absent",
        "idle_minutes": config.get("idle_minutes"),
        "last_run": state.get("last_run"),
        "last_active": state.get("last_active"),
        "last_decision": state.get("last_decision"),
        "snooze_until": _snooze_until(config),
    }


def remove(args: argparse.Namespace) -> dict[str, Any]:
    """Stop the timer and delete every file the agent installed."""
    layout = Layout(args.prefix)
    config = _read_json(layout.config)
    if config:
        _systemctl(config, "disable", "--now", f"{UNIT}.timer")
        _systemctl(config, "disable", "--now", f"{WATCHER_UNIT}.service")
    snooze_file = Path(config["snooze_file"]) if "snooze_file" in config else None
    files = (
        layout.timer,
        layout.service,
        layout.watcher,
        layout.config,
        layout.state,
        layout.notice,
        layout.script,
        snooze_file,
    )
    for path in files:
        if path is not None and path.exists():
            path.unlink()
    for directory in (layout.config.parent, layout.state.parent, layout.script.parent):
        shutil.rmtree(directory, ignore_errors=True)
    if config:
        _systemctl(config, "daemon-reload")
    return {"installed": False}


def snooze(args: argparse.Namespace) -> dict[str, Any]:
    """Record (or clear, with --until 0) a snooze the app chose: no stop before `until`."""
    config = _read_json(Layout(args.prefix).config)
    if not config:
        raise SystemExit("the idle agent is not installed")
    path = Path(config["snooze_file"])
    if args.until <= 0:
        if path.exists():
            path.unlink()
    else:
        _write(path, f"{int(args.until)}\n")
    return {"snooze_until": _snooze_until(config)}


def _snooze_until(config: dict[str, Any]) -> float | None:
    try:
        return float(Path(config["snooze_file"]).read_text().strip())
    except (KeyError, OSError, ValueError):
        return None


# -- the every-minute check ------------------------------------------------------------------


def ssh_connections(port: int, proc: str = "/proc/net") -> int:
    """Established TCP connections to the local SSH port (IPv4 and IPv6)."""
    count = 0
    for name in ("tcp", "tcp6"):
        try:
            lines = Path(proc, name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":  # 01 = ESTABLISHED
                count += 1
    return count


def newest_terminal_input(pts_dir: str) -> float | None:
    """When someone last typed in a terminal: the newest access time of a pseudo-terminal."""
    newest = None
    try:
        entries = list(os.scandir(pts_dir))
    except OSError:
        return None
    for entry in entries:
        if entry.name == "ptmx":
            continue
        try:
            accessed = entry.stat().st_atime
        except OSError:
            continue
        newest = accessed if newest is None else max(newest, accessed)
    return newest


def cpu_times() -> tuple[float, float]:
    """(total, idle) jiffies since boot, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return sum(fields), idle


def probe(args: argparse.Namespace) -> dict[str, Any]:
    """The activity signals the tray reads each minute: terminal input age and CPU use."""
    config = _read_json(Layout(args.prefix).config)
    typed = newest_terminal_input(args.pts_dir or config.get("pts_dir", "/dev/pts"))
    total, idle = cpu_times()
    time.sleep(0.5)
    total2, idle2 = cpu_times()
    busy = 100.0 * (1 - (idle2 - idle) / (total2 - total)) if total2 > total else 0.0
    return {
        "terminal_idle_seconds": None if typed is None else max(0.0, time.time() - typed),
        "cpu_percent": round(busy, 1),
    }


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def decide(
    state: dict[str, Any], now: float, reasons: list[str], boot: str, idle_minutes: float
) -> tuple[str, float]:
    """The agent's rule, on its own so devtray's simulation benchmark runs the same code.

    Updates `state["last_active"]`; returns the decision (`poweroff ...` to power off) and the
    idle seconds. A fresh boot starts the idle count afresh: someone just started the VM.
    """
    if reasons or state.get("boot_id") != boot or "last_active" not in state:
        state["last_active"] = now
    idle_for = now - float(state["last_active"])
    decision = "active: " + ", ".join(reasons) if reasons else f"idle {int(idle_for // 60)} min"
    if not reasons and idle_for >= idle_minutes * 60:
        decision = f"poweroff after {int(idle_for // 60)} idle minutes"
    state["boot_id"] = boot
    return decision, idle_for


def run(args: argparse.Namespace) -> dict[str, Any]:
    """One check: note activity, or power off after `idle_minutes` without any."""
    layout = Layout(args.prefix)
    config = _read_json(layout.config)
    if not config:
        return {"decision": "not-installed"}
    now = args.now if args.now is not None else time.time()
    state = _read_json(layout.state)
    total, idle = cpu_times()
    reasons = []
    if ssh_connections(int(config.get("ssh_port", 22))) > 0:
        reasons.append("ssh")
    typed = newest_terminal_input(config.get("pts_dir", "/dev/pts"))
    if typed is not None and time.time() - typed < 120:
        reasons.append("terminal")
    if "cpu_total" in state and total > state["cpu_total"]:
        busy = 100.0 * (1 - (idle - state["cpu_idle"]) / (total - state["cpu_total"]))
        if busy >= float(config.get("cpu_busy_percent", 20)):
            reasons.append("cpu")
    snoozed = _snooze_until(config)
    if snoozed is not None and now < snoozed:
        reasons.append("snoozed")
    decision, idle_for = decide(state, now, reasons, boot_id(), float(config["idle_minutes"]))
    state.update(
        last_run=now,
        cpu_total=total,
        cpu_idle=idle,
        last_decision=decision,
    )
    _write(layout.state, json.dumps(state))
    if decision.startswith("poweroff"):
        subprocess.run(config["poweroff"], check=False, timeout=60)
    return {"decision": decision, "idle_seconds": idle_for}


# -- spot notices ----------------------------------------------------------------------------


def imds_base(layout: Layout) -> str | None:
    """The metadata service to poll: the real one on a VM (prefix /), a test's loopback
    stand-in when the test wrote its URL, else none (never the real one off a VM)."""
    try:
        url = layout.test_imds.read_text().strip()
    except OSError:
        url = ""
    if _TEST_IMDS.match(url):
        return url
    return IMDS_URL if layout.prefix == "/" else None


def _imds(base: str, path: str, method: str, headers: dict[str, str]) -> str | None:
    """One IMDS request; None for 404 (no such notice)."""
    # Imported here: the laptop's tray imports this module for AGENT_VERSION, and urllib would
    # load ssl (OpenSSL's libssl) into it for nothing.
    import urllib.error
    import urllib.request

    # `base` is the fixed link-local address or a checked loopback URL: http only.
    request = urllib.request.Request(base + path, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=2) as reply:  # noqa: S310
            return str(reply.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def _epoch(text: object) -> float | None:
    """`2026-12-04T14:32:00Z` (IMDS's time format) as epoch seconds."""
    try:
        return float(calendar.timegm(time.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        return None


def read_notices(base: str, token: str) -> dict[str, Any] | None:
    """The current notice: an interruption (with its deadline) wins over a rebalance."""
    headers = {"X-aws-ec2-metadata-token": token}
    action = _imds(base, SPOT_ACTION, "GET", headers)
    if action is not None:
        data = json.loads(action)
        return {"kind": "interruption", "action": data.get("action"), "at": _epoch(data["time"])}
    rebalance = _imds(base, REBALANCE, "GET", headers)
    if rebalance is not None:
        return {
            "kind": "rebalance",
            "action": None,
            "at": _epoch(json.loads(rebalance).get("noticeTime")),
        }
    return None


def watch(args: argparse.Namespace) -> dict[str, Any]:
    """Poll IMDSv2 every few seconds and keep the current notice in the notice file."""
    import urllib.error  # not at the top: see `_imds`

    layout = Layout(args.prefix)
    base = imds_base(layout)
    if base is None:
        return {"watching": False, "reason": "no instance metadata service off a VM"}
    ends = time.monotonic() + args.max_seconds if args.max_seconds else None
    token: str | None = None
    token_until = 0.0
    saved = _read_json(layout.notice)
    last: dict[str, Any] | None = saved.get("notice") if saved.get("boot_id") == boot_id() else None
    polls = 0
    while ends is None or time.monotonic() < ends:
        polls += 1
        notice = last  # kept when the metadata service hiccups
        try:
            if token is None or time.monotonic() > token_until:
                ttl = {"X-aws-ec2-metadata-token-ttl-seconds": IMDS_TOKEN_TTL}
                token = _imds(base, "/latest/api/token", "PUT", ttl)
                token_until = time.monotonic() + float(IMDS_TOKEN_TTL) / 2
            notice = read_notices(base, token or "")
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                token = None  # expired or refused: ask for a new one next time
        except (OSError, ValueError, KeyError):
            pass
        if _changed(last, notice):
            if notice is not None:
                notice["noticed_at"] = time.time()
            last = notice
            _write(layout.notice, json.dumps({"boot_id": boot_id(), "notice": notice}))
        time.sleep(args.interval)
    return {"watching": False, "polls": polls}


def _changed(old: dict[str, Any] | None, new: dict[str, Any] | None) -> bool:
    """A new notice, a different one, or one that ended (`noticed_at` is ours, not AWS's)."""
    if old is None or new is None:
        return old is not new
    return (old["kind"], old["at"]) != (new["kind"], new["at"])


def notice(args: argparse.Namespace) -> dict[str, Any]:
    """What the watcher saw on this boot (a notice from before a restart is over)."""
    data = _read_json(Layout(args.prefix).notice)
    current = data.get("notice") if data.get("boot_id") == boot_id() else None
    return {"notice": current}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devtray-idle-agent")
    parser.add_argument("--prefix", default="/")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("install")
    add.add_argument("--idle-minutes", type=float, default=60.0)
    add.add_argument("--cpu-busy-percent", type=float, default=20.0)
    add.add_argument("--ssh-port", type=int, default=22)
    add.add_argument("--snooze-file")
    add.add_argument("--pts-dir", default="/dev/pts")
    add.add_argument("--poweroff", nargs="+")
    add.add_argument("--systemctl", nargs="+")
    commands.add_parser("status")
    commands.add_parser("remove")
    hold = commands.add_parser("snooze")
    hold.add_argument("--until", type=float, required=True, help="epoch seconds; 0 clears")
    look = commands.add_parser("probe")
    look.add_argument("--pts-dir")
    check = commands.add_parser("run")
    check.add_argument("--now", type=float, help="the time to act as if it were (tests)")
    watcher = commands.add_parser("watch")
    watcher.add_argument("--interval", type=float, default=NOTICE_POLL_SECONDS)
    watcher.add_argument("--max-seconds", type=float, help="stop after this long (tests)")
    told = commands.add_parser("notice")
    subs = (add, hold, look, check, watcher, told)
    for sub in (*subs, commands.choices["status"], commands.choices["remove"]):
        sub.add_argument("--prefix", default=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    handlers = {"install": install, "status": status, "remove": remove, "snooze": snooze}
    handlers["run"] = run
    handlers["probe"] = probe
    handlers["watch"] = watch
    handlers["notice"] = notice
    print(json.dumps(handlers[args.command](args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
