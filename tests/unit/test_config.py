"""Config: the documented shape loads; anything wrong names the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.config import Config, SshSettings, load_config, parse_config, update_config
from desktop.core.errors import BadConfig, ExitCode
from desktop.core.files import backup_path

DOCUMENTED = """\
[aws]
profile = "dev"              # optional; else the default chain
region = "eu-west-1"         # optional; else the profile's
owner = "alice"              # optional; else the caller's name
owner_tag = "Owner"
[ssh]                        # defaults for every VM
user = "ubuntu"
identity_file = "~/.ssh/id_ed25519"
[vm.devbox]                  # per-VM overrides, keyed by Name tag or instance id
host = "devbox.internal"     # bastions, DNS names
port = 22
user = "dev"
identity_file = "~/.ssh/devbox"
"""


def test_documented_shape_loads(tmp_path: Path) -> None:
    config = parse_config(DOCUMENTED, tmp_path / "config.toml")
    assert config.aws is not None
    assert (config.aws.profile, config.aws.region, config.aws.owner) == (
        "dev",
        "eu-west-1",
        "alice",
    )
    assert config.ssh == SshSettings(user="ubuntu", identity_file="~/.ssh/id_ed25519")
    devbox = config.ssh_for("devbox", "i-123")
    assert devbox == SshSettings(
        host="devbox.internal", port=22, user="dev", identity_file="~/.ssh/devbox"
    )
    # A VM without an override gets the [ssh] defaults; an override by id works too.
    assert config.ssh_for("other", "i-9").user == "ubuntu"
    assert config.providers == ("aws",)


def test_no_file_means_aws_default_chain(config_file: Path) -> None:
    config = load_config(config_file)
    assert not config.exists
    assert config.providers == ("aws",)
    assert config.aws is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[aws]\nregoin = 'x'\n", "unknown key aws.regoin"),
        ("[aws]\nregion = 3\n", "aws.region must be a string"),
        ("[vm.box]\nport = 70000\n", "vm.box.port must be a port number"),
        ("[vm.box]\nport = true\n", "vm.box.port must be a port number"),
        ("[polling]\nfast_seconds = 0\n", "polling.fast_seconds must be more than 0"),
        ("[awz]\n", "unknown section or key 'awz'"),
        ("aws = 1\n", "[aws] must be a table"),
        ("[aws\n", "not valid TOML"),
        ("schema = 99\n", "schema 99 is newer"),
        ("[aws]\nsizes = ['t3.large', 1]\n", "aws.sizes must be a list of strings"),
        ("[aws]\nregion = ' '\n", "aws.region is empty"),
    ],
)
def test_invalid_config_names_file_and_key(config_file: Path, text: str, expected: str) -> None:
    config_file.write_text(text)
    with pytest.raises(BadConfig) as caught:
        load_config(config_file)
    assert expected in caught.value.message
    assert str(config_file) in caught.value.message
    assert caught.value.exit_code is ExitCode.USAGE


def test_unknown_key_lists_allowed_keys(config_file: Path) -> None:
    config_file.write_text("[ssh]\nusername = 'x'\n")
    with pytest.raises(BadConfig) as caught:
        load_config(config_file)
    assert caught.value.hint is not None
    assert "identity_file" in caught.value.hint and "user" in caught.value.hint


def test_update_keeps_comments_and_unrelated_keys_and_backs_up(config_file: Path) -> None:
    config_file.write_text(DOCUMENTED)
    update_config(config_file, {"aws": {"region": "us-east-1"}, "polling": {"slow_seconds": 60}})
    text = config_file.read_text()
    assert "# optional; else the default chain" in text
    assert "# per-VM overrides, keyed by Name tag or instance id" in text
    assert 'region = "us-east-1"' in text
    assert backup_path(config_file).read_text() == DOCUMENTED
    reloaded = load_config(config_file)
    assert reloaded.aws is not None and reloaded.aws.region == "us-east-1"
    assert reloaded.polling.slow_seconds == 60
    assert reloaded.ssh_for("devbox", "x").host == "devbox.internal"
    assert config_file.stat().st_mode & 0o777 == 0o600


def test_update_refuses_an_invalid_result_and_leaves_the_file(config_file: Path) -> None:
    config_file.write_text(DOCUMENTED)
    with pytest.raises(BadConfig):
        update_config(config_file, {"aws": {"owner_tag": 5}})
    assert config_file.read_text() == DOCUMENTED


def test_update_removes_a_key_with_none(config_file: Path) -> None:
    config_file.write_text(DOCUMENTED)
    update_config(config_file, {"aws": {"owner": None}})
    config = load_config(config_file)
    assert config.aws is not None and config.aws.owner is None


def test_config_dir_follows_environment(config_file: Path) -> None:
    config_file.write_text("[aws]\nregion = 'ap-south-1'\n")
    config = load_config()
    assert isinstance(config, Config)
    assert config.path == config_file
    assert config.aws is not None and config.aws.region == "ap-south-1"
