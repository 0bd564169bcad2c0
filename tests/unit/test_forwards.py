"""`ports` entries: the three spellings, and errors that name the file and the entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.config import parse_config
from desktop.core.errors import BadConfig
from desktop.core.forwards import Forward, parse_forward, parse_forwards


@pytest.mark.parametrize(
    ("spec", "forward"),
    [
        ("8000", Forward(8000, "localhost", 8000)),
        ("8080:8000", Forward(8080, "localhost", 8000)),
        ("5432:db.internal:5432", Forward(5432, "db.internal", 5432)),
    ],
)
def test_the_three_spellings(spec: str, forward: Forward) -> None:
    assert parse_forward(spec, ".devtray.toml") == forward
    assert forward.ssh_argument().startswith(f"127.0.0.1:{forward.local_port}:")


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("0", "is not a port number"),
        ("70000", "is not a port number"),
        ("http", "is not a port number"),
        ("1:-oProxyCommand=x:2", "is not LOCAL, LOCAL:REMOTE or LOCAL:HOST:REMOTE"),
        ("1:a b:2", "is not LOCAL, LOCAL:REMOTE or LOCAL:HOST:REMOTE"),
        ("1:2:3:4", "is not LOCAL, LOCAL:REMOTE or LOCAL:HOST:REMOTE"),
    ],
)
def test_bad_entries_name_the_file(spec: str, problem: str) -> None:
    with pytest.raises(BadConfig, match=problem) as caught:
        parse_forward(spec, "/p/.devtray.toml")
    assert caught.value.message.startswith("/p/.devtray.toml: ")


def test_a_local_port_used_twice_is_an_error_but_the_same_forward_twice_is_not() -> None:
    same = parse_forwards([("8000", "project"), ("8000", "config")])
    assert same == [Forward(8000, "localhost", 8000)]
    with pytest.raises(BadConfig, match="local port 8000 is forwarded twice"):
        parse_forwards([("8000", "project"), ("8000:9000", "config")])


def test_global_tunnels_in_config() -> None:
    config = parse_config('[tunnels]\nports = ["8000"]\n', Path("config.toml"))
    assert config.tunnels.ports == ("8000",)
    with pytest.raises(BadConfig, match="unknown key tunnels.port"):
        parse_config('[tunnels]\nport = ["8000"]\n', Path("config.toml"))
