"""`devtray --help`, every command's `--help` and `devtray doctor`, from the real CLI in a
child process."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from desktop.cli.main import build_parser
from tests.moto_server import MotoEndpoint

# Runs each command's --help in one child (one interpreter start-up instead of ~25) and
# prints {"command words": help text} as JSON.
EVERY_HELP = """
import contextlib, io, json, sys
from desktop.app import main
helps = {}
for words in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main([*words, "--help"])
    helps[" ".join(words)] = out.getvalue()
print(json.dumps(helps))
"""


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})},
        check=False,
    )


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[list[str]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                found.append([*prefix, name])
                found += _commands(command, (*prefix, name))
    return found


def test_devtray_help_names_the_tray_and_the_demo() -> None:
    result = _run("-m", "desktop", "--help")
    assert result.returncode == 0
    assert "Run `devtray` with no command to start the tray icon" in result.stdout
    assert "devtray --demo" in result.stdout and "simulated cloud" in result.stdout
    assert "devtray COMMAND --help" in result.stdout


def test_every_command_help_opens_with_a_description() -> None:
    commands = _commands(build_parser())
    assert len(commands) > 20
    result = _run("-c", EVERY_HELP, json.dumps(commands))
    assert result.returncode == 0, result.stderr
    helps = json.loads(result.stdout)
    for words in commands:
        text = helps[" ".join(words)]
        usage, _blank, rest = text.partition("\n\n")
        assert usage.startswith(f"usage: devtray {' '.join(words)}"), text
        description = rest.split("\n\n")[0]
        assert description[:1].isupper() and description.rstrip().endswith("."), (words, text)
        assert not description.startswith(("positional arguments", "options")), (words, text)


def test_doctor_suggests_this_platforms_package_manager(moto: MotoEndpoint, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = _run("-m", "desktop", "doctor", env={"PATH": str(empty)})
    lines = {line[5:18].strip(): line for line in result.stdout.splitlines()}
    assert lines["rsync"].startswith("FAIL")
    assert "sudo apt install rsync" in lines["rsync"]
    assert "sudo apt install openssh-client" in lines["ssh"]
    assert "brew" not in result.stdout  # Homebrew is macOS's, not this Linux machine's
    assert "code.visualstudio.com/download" in lines["code"]
