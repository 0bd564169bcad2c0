"""The config fuzzer: generated `config.toml` and `.devtray.toml` files against the real loaders,
and a sample of them against the real CLI (child processes, moto on 127.0.0.1).

Every file must either load or be refused with a BadConfig naming the file and a key; no other
exception, ever. Through the CLI: no traceback, no "something went wrong", exit 0, 2 (naming
the file or a key) or 3 (naming a sign-in command). Seeded (DEVTRAY_FUZZ_SEED) and bounded in
count and time; a failure prints the seed and the file's number to replay it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from desktop.core.config import Config, load_config
from desktop.core.errors import BadConfig
from desktop.core.forwards import wanted_forwards
from desktop.core.project import PROJECT_FILE, load_project
from tests.config_fuzz import Fuzzer, Sample
from tests.moto_server import MotoEndpoint, run_instance

SEED = int(os.environ.get("DEVTRAY_FUZZ_SEED", "20261204"))
FILES = int(os.environ.get("DEVTRAY_FUZZ_FILES", "1000"))
CLI_CONFIGS = int(os.environ.get("DEVTRAY_FUZZ_CLI", "8"))
LOADER_BUDGET_S = 60.0
CLI_BUDGET_S = 50.0
COMMANDS = ("status", "ssh-config", "doctor")


def refusal_problem(error: BadConfig, path: Path, sample: Sample) -> str | None:
    """Why this refusal is not good enough, or None: it must name the file and a key."""
    text = str(error)
    if str(path) not in text:
        return f"does not name the file: {text!r}"
    syntax = ("not valid TOML", "nested too deeply", "not UTF-8", "cannot be read")
    if not any(key in text for key in sample.keys) and not any(s in text for s in syntax):
        return f"names no key: {text!r}"
    return None


def check_file(path: Path, sample: Sample, load: object) -> str | None:
    """Load `path` with the real loader (and use what loads); the problem, or None."""
    try:
        if isinstance(load, type) and load is Config:
            config = load_config(path)
            wanted_forwards(None, config)
            config.ssh_for("web", "i-0123456789abcdef0")
        else:
            project = load_project(path.parent)
            wanted_forwards(project, Config())
            project.remote_dir()
    except BadConfig as error:
        return refusal_problem(error, path, sample)
    except Exception as error:  # the defect this test exists to find
        return f"{type(error).__name__}: {error}"[:300]
    return None


def test_a_thousand_generated_files_load_or_are_refused_naming_the_key(tmp_path: Path) -> None:
    fuzzer = Fuzzer(SEED)
    deadline = time.monotonic() + LOADER_BUDGET_S
    problems: list[str] = []
    refused = written = 0
    for number in range(FILES):
        if time.monotonic() > deadline:
            break
        for kind, sample in (("config", fuzzer.config()), ("project", fuzzer.project())):
            folder = tmp_path / f"{kind}-{number}"
            folder.mkdir()
            path = folder / ("config.toml" if kind == "config" else PROJECT_FILE)
            path.write_text(sample.text, encoding="utf-8", errors="surrogatepass")
            written += 1
            problem = check_file(path, sample, Config if kind == "config" else None)
            if problem is None:
                continue
            refused += 1
            problems.append(f"seed {SEED} {kind} #{number} ({sample.mutation}): {problem}")
    assert written >= 2 * FILES, f"only {written} files in {LOADER_BUDGET_S:.0f} s"
    assert not problems, f"{len(problems)} bad outcomes:\n" + "\n".join(problems[:10])


def cli_samples(fuzzer: Fuzzer, count: int) -> list[tuple[str, Sample]]:
    """Configs for the CLI: two thirds that load (what crashed before did load), a third that
    does not; none with [azure] (its sign-in would look for Microsoft's servers)."""
    wanted_loaded = count - count // 3
    loaded: list[Sample] = []
    refused: list[Sample] = []
    for _ in range(10_000):
        if len(loaded) >= wanted_loaded and len(refused) >= count - wanted_loaded:
            break
        sample = fuzzer.config()
        if "azure" in sample.keys:
            continue
        try:
            from desktop.core.config import parse_config

            parse_config(sample.text, Path("config.toml"))
        except BadConfig:
            refused.append(sample)
        else:
            loaded.append(sample)
    chosen = loaded[:wanted_loaded] + refused[: count - wanted_loaded]
    return [(f"#{number}", sample) for number, sample in enumerate(chosen)]


def run_cli(command: str, log: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONWARNINGS": "ignore",
        # Anything that is not loopback goes to a closed port: a child has no socket guard.
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return subprocess.run(
        [sys.executable, "-m", "desktop", command],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def cli_problem(command: str, result: subprocess.CompletedProcess[str], sample: Sample) -> str:
    """What is wrong with one run ('' when nothing is)."""
    said = result.stdout + result.stderr
    if "Traceback" in said or "something went wrong" in said:
        return f"crashed: {said[-400:]!r}"
    code = result.returncode
    if code == 2 and not any(key in said for key in sample.keys | {"config.toml"}):
        return f"exit 2 naming no key: {said[-300:]!r}"
    if code == 3 and "devtray sign-in" not in said:
        return f"exit 3 naming no sign-in command: {said[-300:]!r}"
    # doctor's 1 is its verdict on the cloud (no VM found with this owner), never a crash.
    doctor_verdict = command == "doctor" and code == 1 and "OK   config" in result.stdout
    if code not in (0, 2, 3) and not doctor_verdict:
        return f"exit {code}: {said[-300:]!r}"
    return ""


def test_a_sample_through_the_cli_exits_0_2_or_3_without_a_traceback(
    moto: MotoEndpoint, config_file: Path
) -> None:
    run_instance("web")
    log = Path(os.environ["DEVTRAY_LOG_DIR"]) / "devtray.log"
    deadline = time.monotonic() + CLI_BUDGET_S
    problems: list[str] = []
    runs = 0
    for label, sample in cli_samples(Fuzzer(SEED + 1), CLI_CONFIGS):
        if time.monotonic() > deadline:
            break
        config_file.write_text(sample.text, encoding="utf-8", errors="surrogatepass")
        for command in COMMANDS:
            result = run_cli(command, log)
            runs += 1
            problem = cli_problem(command, result, sample)
            if problem:
                problems.append(
                    f"seed {SEED + 1} {label} `{command}` ({sample.mutation}): {problem}"
                )
    assert runs >= len(COMMANDS) * min(4, CLI_CONFIGS), f"only {runs} runs in {CLI_BUDGET_S:.0f} s"
    assert not (log.exists() and "Traceback" in log.read_text())
    assert not problems, "\n".join(problems[:10])
