"""`devtray sign-in aws --start-url URL --region REGION [--role ACCOUNT/ROLE]`, run as a child
process against the IAM Identity Center stand-in on 127.0.0.1 (`tests/sso_emulator.py`); the
person approving in the browser is the test, reading the code the CLI prints."""

from __future__ import annotations

import os
import pty
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from desktop.core.config import load_config
from tests import sso_emulator as sso
from tests.sso_emulator import SsoEmulator, sso_emulator  # noqa: F401 - the fixture, by name

SIGN_IN = ["sign-in", "aws", "--no-browser", "--start-url", sso.START_URL, "--region", "eu-west-1"]
TWO_ROLES = {sso.ACCOUNT_ID: ("dev", (sso.ROLE,)), "444455556666": ("prod", ("ReadOnly",))}
TIMEOUT = 20.0  # seconds any one child may take


class Child:
    """A running `devtray` whose stderr is read line by line on a thread (reads stay bounded)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        self.err: list[str] = []
        assert process.stderr is not None
        stderr = process.stderr
        threading.Thread(
            target=lambda: [self.lines.put(line) for line in stderr], daemon=True
        ).start()

    def user_code(self) -> str:
        """The code the CLI asks the person to enter, once it has printed it."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            self.err.append(line)
            if " and enter the code " in line:
                return line.rsplit(" ", 1)[1].strip()
        raise AssertionError(f"no code shown; stderr so far: {''.join(self.err)!r}")

    def finish(self) -> tuple[int, str, str]:
        """Exit code, stdout and the whole stderr."""
        assert self.process.stdout is not None
        out = self.process.stdout.read()
        code = self.process.wait(timeout=TIMEOUT)
        time.sleep(0.05)  # let the reader thread take the last lines
        while not self.lines.empty():
            self.err.append(self.lines.get())
        return code, out, "".join(self.err)


def _default_sigint() -> None:
    # A gate run as a background job has SIGINT ignored; a terminal's Ctrl-C would reach it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def devtray(*args: str) -> Iterator[Child]:
    """`python -m desktop ARGS` with this test's environment, stdin not a terminal."""
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        preexec_fn=_default_sigint,
    )
    try:
        yield Child(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=TIMEOUT)


def aws_config() -> Path:
    return Path(os.environ["AWS_CONFIG_FILE"])


def devtray_profile(config_file: Path) -> str | None:
    """devtray's `[aws] profile`."""
    config = load_config(config_file)
    return config.aws.profile if config.aws else None


def test_one_role_signs_in_saves_the_profile_and_makes_it_devtrays(
    sso_emulator: SsoEmulator,  # noqa: F811 - the fixture imported above
    config_file: Path,
) -> None:
    with devtray(*SIGN_IN) as child:
        code = child.user_code()
        assert "ListAccounts" not in sso_emulator.calls  # waiting for the approval
        assert not config_file.exists() and not aws_config().exists()  # nothing before approval
        sso_emulator.approve(code)
        status, out, err = child.finish()
    assert status == 0, err
    [device] = sso_emulator.devices.values()
    assert (
        f"open https://device.sso.eu-west-1.amazonaws.com/ and enter the code {device.user_code}\n"
        in err
    )
    assert out == (
        f"Signed in to {sso.START_URL} as {sso.ROLE} in dev ({sso.ACCOUNT_ID});"
        f" profile devtray saved in {aws_config()}.\n"
        f"devtray uses profile devtray ([aws] in {config_file}).\n"
    )
    assert aws_config().read_text() == sso.NEW_PROFILE_TEXT
    assert devtray_profile(config_file) == "devtray"


def test_several_roles_with_role_uses_the_one_named(
    sso_emulator: SsoEmulator,  # noqa: F811
    config_file: Path,
) -> None:
    sso_emulator.accounts = dict(TWO_ROLES)
    with devtray(*SIGN_IN, "--profile", "work", "--role", "444455556666/ReadOnly") as child:
        sso_emulator.approve(child.user_code())
        status, out, err = child.finish()
    assert status == 0, err
    assert out.startswith(f"Signed in to {sso.START_URL} as ReadOnly in prod (444455556666);")
    text = aws_config().read_text()
    assert "[profile work]\n" in text and "sso_account_id = 444455556666\n" in text
    assert "sso_role_name = ReadOnly\n" in text
    assert devtray_profile(config_file) == "work"


def test_several_roles_without_a_terminal_exit_2_listing_them(
    sso_emulator: SsoEmulator,  # noqa: F811
    config_file: Path,
) -> None:
    sso_emulator.accounts = {
        sso.ACCOUNT_ID: ("dev", (sso.ROLE, "ReadOnly")),
        "444455556666": ("prod", ("ReadOnly",)),
    }
    with devtray(*SIGN_IN) as child:
        sso_emulator.approve(child.user_code())
        status, out, err = child.finish()
    assert status == 2, err
    assert (
        f"You can use 3 AWS roles: {sso.ACCOUNT_ID}/{sso.ROLE}, {sso.ACCOUNT_ID}/ReadOnly,"
        " 444455556666/ReadOnly." in err
    )
    assert f"--role {sso.ACCOUNT_ID}/{sso.ROLE}" in err and "Traceback" not in err
    assert out == "" and not config_file.exists() and not aws_config().exists()
    # Passing --role then needs no second approval: the token from this attempt is reused.
    with devtray(*SIGN_IN, "--role", "444455556666/ReadOnly") as child:
        status, out, err = child.finish()
    assert status == 0, err
    assert "enter the code" not in err
    assert "sso_role_name = ReadOnly\n" in aws_config().read_text()


def test_a_bad_start_url_is_exit_2_naming_it_and_nothing_is_sent(
    sso_emulator: SsoEmulator,  # noqa: F811
    config_file: Path,
) -> None:
    argv = ["sign-in", "aws", "--no-browser", "--start-url", "http://corp.example/start"]
    with devtray(*argv, "--region", "eu-west-1") as child:
        status, out, err = child.finish()
    assert out == ""
    assert status == 2
    assert "'http://corp.example/start' is not an IAM Identity Center start URL" in err
    assert "Traceback" not in err
    with devtray(*SIGN_IN, "--role", "Developer") as child:
        status, _, err = child.finish()
    assert status == 2 and "'Developer' does not name a role as ACCOUNT/ROLE" in err
    assert sso_emulator.calls == []
    assert not config_file.exists() and not aws_config().exists()


def test_ctrl_c_while_waiting_cancels_and_saves_nothing(
    sso_emulator: SsoEmulator,  # noqa: F811
    config_file: Path,
) -> None:
    with devtray(*SIGN_IN) as child:
        child.user_code()
        child.process.send_signal(signal.SIGINT)
        status, _, err = child.finish()
    assert status == 1
    assert "Sign-in cancelled; nothing was saved." in err and "Traceback" not in err
    assert not config_file.exists() and not aws_config().exists()


def test_several_roles_at_a_terminal_are_listed_and_the_answer_is_used(
    sso_emulator: SsoEmulator,  # noqa: F811
    config_file: Path,
) -> None:
    sso_emulator.accounts = dict(TWO_ROLES)
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", *SIGN_IN],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    os.close(terminal)
    try:
        screen = _read_until(controller, "Waiting for approval")  # the line after the code
        code = screen.split("enter the code ", 1)[1].split()[0]
        sso_emulator.approve(code)
        screen += _read_until(controller, "Role for your VM [1-2]: ")
        assert (
            f"  1. {sso.ROLE} in dev ({sso.ACCOUNT_ID})\r\n  2. ReadOnly in prod (444455556666)"
            in screen
        )
        os.write(controller, b"2\n")
        out, _ = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
        os.close(controller)
    assert process.returncode == 0, screen
    assert out.startswith(f"Signed in to {sso.START_URL} as ReadOnly in prod (444455556666);")
    assert len(sso_emulator.devices) == 1  # one approval in the browser, not two
    assert devtray_profile(config_file) == "devtray"


def _read_until(terminal: int, text: str) -> str:
    """What the terminal shows up to and including `text` (bounded in time)."""
    shown = ""
    deadline = time.monotonic() + TIMEOUT
    while text not in shown:
        ready, _, _ = select.select([terminal], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"{text!r} not shown; the terminal shows {shown!r}")
        shown += os.read(terminal, 4096).decode()
    return shown
