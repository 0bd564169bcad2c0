"""devtray's configuration: `config.toml` in the user config dir or `$DEVTRAY_CONFIG_DIR`.

Reading validates every key and reports errors with the file, the key and what is allowed.
Writing (`update_config`) goes through tomlkit so the user's comments and order survive.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from types import MappingProxyType
from typing import Any

import platformdirs

from desktop.core.errors import BadConfig
from desktop.core.names import AWS_PROFILE, AWS_REGION, DNS_NAME, LOGIN_NAME

SCHEMA_VERSION = 1
CONFIG_DIR_ENV = "DEVTRAY_CONFIG_DIR"
APP_NAME = "devtray"


def config_dir() -> Path:
    """The folder holding `config.toml`: `$DEVTRAY_CONFIG_DIR` or the platform's config dir."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def config_path() -> Path:
    """The path of `config.toml`."""
    return config_dir() / "config.toml"


@dataclass(frozen=True)
class AwsConfig:
    """The `[aws]` section."""

    profile: str | None = None
    region: str | None = None
    owner: str | None = None
    owner_tag: str = "Owner"
    sizes: tuple[str, ...] = ()
    cost_explorer: bool = True  # billed figures from Cost Explorer ($0.01 a request, cached)


AZURE_CLOUDS = ("AzureCloud", "AzureChinaCloud", "AzureUSGovernment")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class AzureLab:
    """One DevTest Lab: where it lives (subscription, resource group) and its name."""

    subscription: str
    resource_group: str
    name: str


@dataclass(frozen=True)
class AzureConfig:
    """The `[azure]` section: the labs to look in and which Azure cloud they are in.

    `arm_endpoint` + `authority` name a cloud that is not one of AZURE_CLOUDS (Azure Stack,
    a private endpoint); otherwise `cloud` picks one of the public, China or US Government clouds.
    """

    labs: tuple[AzureLab, ...]
    cloud: str = "AzureCloud"
    arm_endpoint: str | None = None
    authority: str | None = None
    tenant: str | None = None
    prices_url: str | None = None  # the Retail Prices API (a stand-in in tests)


@dataclass(frozen=True)
class SshSettings:
    """SSH connection settings: `[ssh]` defaults, or a `[vm.NAME]` override."""

    host: str | None = None
    port: int | None = None
    user: str | None = None
    identity_file: str | None = None

    def over(self, defaults: SshSettings) -> SshSettings:
        """These settings, with anything unset taken from `defaults`."""
        return SshSettings(
            host=self.host or defaults.host,
            port=self.port or defaults.port,
            user=self.user or defaults.user,
            identity_file=self.identity_file or defaults.identity_file,
        )


@dataclass(frozen=True)
class PollingConfig:
    """`[polling]`: seconds between refreshes while a VM changes state, and while it is stable."""

    fast_seconds: float = 2.0
    slow_seconds: float = 30.0


MINUTES_IN_A_DAY = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class AutostopConfig:
    """`[autostop]`: the end-of-day schedule (per weekday, Monday first) and the idle rules."""

    enabled: bool = True
    stop_times: tuple[time | None, ...] = (time(19, 0),) * 5 + (None, None)
    idle_minutes: float = 60.0
    after_hours_idle_minutes: float = 15.0
    warn_minutes: float = 15.0
    cpu_busy_percent: float = 20.0
    agent_idle_minutes: float = 60.0


@dataclass(frozen=True)
class TunnelsConfig:
    """`[tunnels]`: forwards wanted in every project, e.g. `ports = ["8000"]` (see forwards.py)."""

    ports: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConnectConfig:
    """`[connect]`: the project folder (with its `.devtray.toml`) the tray opens and forwards."""

    project: str | None = None
    # `ssh ALIAS` starts a stopped VM, unless the user stopped it within the grace minutes.
    start_on_connect: bool = True
    start_on_connect_grace: float = 15.0
    open_ide: bool = True  # Start my day opens the project's IDE when the day is ready


@dataclass(frozen=True)
class ProjectEntry:
    """One of my projects (`[[projects]]`): a local folder, the VM it runs on, its IDE."""

    folder: str
    vm: str | None = None
    ide: str | None = None  # vscode | pycharm | gateway (None: the folder's .devtray.toml says)
    remote_path: str | None = None  # where it lives on the VM (None: .devtray.toml says)


@dataclass(frozen=True)
class UpdatesConfig:
    """`[updates]`: the signed release feed (see desktop/core/updates.py) and when to check it."""

    feed_url: str | None = None
    public_key: str | None = None
    check: bool | None = None  # None: check outside the demo when a feed is configured
    interval_hours: float = 24.0

    def periodic_check(self, *, demo: bool) -> bool:
        """Whether the tray checks by itself: needs a feed; off in the demo unless asked for."""
        if self.feed_url is None or self.check is False:
            return False
        return self.check is True or not demo


@dataclass(frozen=True)
class Config:
    """The whole configuration, validated."""

    path: Path | None = None
    schema: int = SCHEMA_VERSION
    aws: AwsConfig | None = None
    azure: AzureConfig | None = None
    ssh: SshSettings = field(default_factory=SshSettings)
    vms: Mapping[str, SshSettings] = field(default_factory=lambda: MappingProxyType({}))
    polling: PollingConfig = field(default_factory=PollingConfig)
    tunnels: TunnelsConfig = field(default_factory=TunnelsConfig)
    autostop: AutostopConfig = field(default_factory=AutostopConfig)
    connect: ConnectConfig = field(default_factory=ConnectConfig)
    updates: UpdatesConfig = field(default_factory=UpdatesConfig)
    projects: tuple[ProjectEntry, ...] = ()
    exists: bool = False

    @property
    def providers(self) -> tuple[str, ...]:
        """The clouds in use: AWS (with its default chain when `[aws]` is absent) unless the
        file configures only another cloud, and Azure when `[azure]` is there."""
        names = []
        if self.aws is not None or self.azure is None:
            names.append("aws")
        if self.azure is not None:
            names.append("azure")
        return tuple(names)

    def ssh_for(self, vm_name: str, vm_id: str) -> SshSettings:
        """SSH settings for one VM: its `[vm.X]` override (by Name or id) over `[ssh]`."""
        override = self.vms.get(vm_name) or self.vms.get(vm_id) or SshSettings()
        return override.over(self.ssh)


# Text keys: no control characters (they would break an SSH config line or a log line) and a
# bounded length; lists are bounded too. Numbers must be finite and within their key's range.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_TEXT = 1024
MAX_ITEMS = 256
_TAG_KEY = re.compile(r"[\w .:/=+@-]{1,128}")
_TAG_VALUE = re.compile(r"[\w .:/=+@-]{1,256}")
_SIZE = re.compile(r"[a-z0-9.*?-]{1,64}")
_AZURE_NAME = re.compile(r"[-\w.()]{1,90}")
_TENANT = re.compile(r"[A-Za-z0-9.-]{1,253}")


def _shown(value: object) -> str:
    """`value` for an error message: its repr, cut short (a value may be megabytes long)."""
    return _cut(repr(value))


def _cut(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


class _Section:
    """Reads one table, checking each key's type and range and rejecting unknown keys."""

    def __init__(self, path: Path, name: str, table: object) -> None:
        if not isinstance(table, dict):
            raise BadConfig(
                f"{path}: [{name}] must be a table",
                hint=f"Write it as a section header: [{name}]",
            )
        self.path = path
        self.name = name
        self.table: dict[str, Any] = table
        self.seen: set[str] = set()

    def _get(self, key: str, kind: type | tuple[type, ...], what: str) -> Any:
        self.seen.add(key)
        if key not in self.table:
            return None
        value = self.table[key]
        # bool is an int in Python; a port of `true` is still wrong.
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
            raise self.wrong(key, f"must be {what}, not {_shown(value)}")
        return value

    def wrong(self, key: str, problem: str) -> BadConfig:
        """The error for a value of `key` that is not allowed."""
        return self.fail(key, problem, f"Fix {self.name}.{key} in {self.path}.")

    def text(
        self, key: str, pattern: re.Pattern[str] | None = None, what: str = "a string"
    ) -> str | None:
        """A string: not empty, no control characters, bounded; `pattern` must match it whole."""
        value: str | None = self._get(key, str, "a string")
        return None if value is None else self._checked(key, value, pattern, what)

    def _checked(self, label: str, value: str, pattern: re.Pattern[str] | None, what: str) -> str:
        if not value.strip():
            raise self.fail(label, "is empty", f"Remove {self.name}.{label} or give it a value.")
        if _CONTROL.search(value) or len(value) > MAX_TEXT:
            raise self.wrong(label, f"must be one line of at most {MAX_TEXT} characters")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.wrong(label, f"must be {what}, not {_shown(value)}")
        return value

    def path_text(self, key: str) -> str | None:
        """A local path; `~user` must name a user of this machine."""
        value = self.text(key)
        if value is not None and value.startswith("~") and os.path.expanduser(value) == value:
            raise self.wrong(key, f"starts with an unknown user's home: {_shown(value)}")
        return value

    def url(self, key: str) -> str | None:
        """An https:// URL with a host."""
        from urllib.parse import urlsplit

        value = self.text(key)
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            valid = parts.scheme == "https" and bool(parts.hostname) and parts.port != 0
        except ValueError:  # "https://[::1" and other malformed hosts or ports
            valid = False
        if not valid:
            raise self.wrong(key, f"must be an https:// URL, not {_shown(value)}")
        return value

    def port(self, key: str) -> int | None:
        """A TCP port number."""
        value: int | None = self._get(key, int, "a port number (1-65535)")
        if value is not None and not 1 <= value <= 65535:
            raise self.wrong(key, f"must be a port number (1-65535), not {_shown(value)}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        """true or false."""
        value = self.maybe_flag(key)
        return default if value is None else value

    def maybe_flag(self, key: str) -> bool | None:
        """true, false, or unset."""
        value: bool | None = self._get(key, bool, "true or false")
        return value

    def amount(
        self, key: str, default: float, unit: str, most: float, least: float | None = None
    ) -> float:
        """A number of `unit`: more than 0 (or at least `least`), at most `most`, finite."""
        value = self._get(key, (int, float), f"a number of {unit}")
        if value is None:
            return default
        # These comparisons are false for nan; ints of any size compare exactly.
        low_ok = value >= least if least is not None else value > 0
        if not (low_ok and value <= most):
            low = f"at least {least:g}" if least is not None else "more than 0"
            raise self.wrong(key, f"must be {low} and at most {most:g} {unit}, not {_shown(value)}")
        return float(value)

    def texts(
        self, key: str, pattern: re.Pattern[str] | None = None, what: str = "a string"
    ) -> tuple[str, ...]:
        """A list of strings, each checked as `text` checks one."""
        value = self._get(key, list, "a list of strings")
        if value is None:
            return ()
        if len(value) > MAX_ITEMS or not all(isinstance(item, str) for item in value):
            raise self.fail(
                key,
                f"must be a list of strings (at most {MAX_ITEMS})",
                f'Write it like {key} = ["a", "b"].',
            )
        return tuple(
            self._checked(f"{key}[{number}]", item, pattern, what)
            for number, item in enumerate(value)
        )

    def tables(self, key: str) -> list[object]:
        """An array of tables."""
        value: list[object] | None = self._get(key, list, "an array of tables")
        if value is not None and len(value) > MAX_ITEMS:
            raise self.wrong(key, f"must have at most {MAX_ITEMS} tables")
        return value or []

    def fail(self, key: str, problem: str, hint: str) -> BadConfig:
        """An error naming the file and `section.key`."""
        return BadConfig(f"{self.path}: {self.name}.{key} {problem}", hint=hint)

    def finish(self) -> None:
        """Refuse any key that no reader asked for."""
        unknown = sorted(set(self.table) - self.seen)
        if unknown:
            raise BadConfig(
                f"{self.path}: unknown key {self.name}.{_cut(unknown[0])}",
                hint=f"Allowed keys in [{self.name}]: {', '.join(sorted(self.seen))}.",
            )


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _read_aws(section: _Section) -> AwsConfig:
    aws = AwsConfig(
        profile=section.text("profile", AWS_PROFILE, "an AWS profile name"),
        region=section.text("region", AWS_REGION, 'an AWS region like "eu-west-1"'),
        owner=section.text("owner", _TAG_VALUE, "a tag value"),
        owner_tag=section.text("owner_tag", _TAG_KEY, "a tag key") or "Owner",
        sizes=section.texts("sizes", _SIZE, 'an instance type like "t3.large" (or "t3.*")'),
        cost_explorer=section.flag("cost_explorer", True),
    )
    section.finish()
    return aws


def _read_azure(section: _Section) -> AzureConfig:
    subscription = section.text("subscription", _GUID, "a subscription id (a GUID)")
    resource_group = section.text("resource_group", _AZURE_NAME, "a resource group name")
    cloud = section.text("cloud")
    arm_endpoint = section.url("arm_endpoint")
    authority = section.url("authority")
    labs: list[AzureLab] = []
    top_lab = section.text("lab", _AZURE_NAME, "a lab name")
    if top_lab is not None:
        labs.append(_azure_lab(section, top_lab, subscription, resource_group))
    for index, body in enumerate(section.tables("labs")):
        entry = _Section(section.path, f"azure.labs[{index}]", body)
        lab = _azure_lab(
            entry,
            entry.text("lab", _AZURE_NAME, "a lab name"),
            entry.text("subscription", _GUID, "a subscription id (a GUID)") or subscription,
            entry.text("resource_group", _AZURE_NAME, "a resource group name") or resource_group,
        )
        entry.finish()
        labs.append(lab)
    azure = AzureConfig(
        labs=tuple(labs),
        cloud=cloud or "AzureCloud",
        arm_endpoint=arm_endpoint.rstrip("/") if arm_endpoint else None,
        authority=authority.rstrip("/") if authority else None,
        tenant=section.text("tenant", _TENANT, "a tenant id or domain"),
        prices_url=section.url("prices_url"),
    )
    section.finish()
    _check_azure(section, azure, cloud_given=cloud is not None)
    return azure


def _azure_lab(
    section: _Section,
    lab: str | None,
    subscription: str | None,
    resource_group: str | None,
) -> AzureLab:
    example = 'lab = "devlab-westeurope"'
    if lab is None:
        raise section.fail("lab", "is missing", f"Name the DevTest Lab: {example}.")
    if subscription is None:
        raise section.fail(
            "subscription",
            f"is missing (needed for lab {lab!r})",
            "Set subscription (a GUID) under [azure] or in this lab's table.",
        )
    if not _GUID.match(subscription):
        raise section.fail(
            "subscription",
            f"must be a subscription id (a GUID), not {subscription!r}",
            "`az account list -o table` shows your subscription ids.",
        )
    if resource_group is None:
        raise section.fail(
            "resource_group",
            f"is missing (needed for lab {lab!r})",
            "Set resource_group under [azure] or in this lab's table.",
        )
    return AzureLab(subscription=subscription, resource_group=resource_group, name=lab)


def _check_azure(section: _Section, azure: AzureConfig, *, cloud_given: bool) -> None:
    if not azure.labs:
        raise section.fail(
            "lab",
            "is missing: no lab is configured",
            'Add lab = "NAME" under [azure], or one [[azure.labs]] table per lab.',
        )
    if azure.cloud not in AZURE_CLOUDS:
        raise section.fail(
            "cloud",
            f"must be one of {', '.join(AZURE_CLOUDS)}, not {azure.cloud!r}",
            "For another cloud set arm_endpoint and authority instead.",
        )
    if (azure.arm_endpoint is None) != (azure.authority is None):
        missing = "authority" if azure.authority is None else "arm_endpoint"
        raise section.fail(
            missing, "is missing", "arm_endpoint and authority go together; set both or neither."
        )
    if azure.arm_endpoint is not None and cloud_given:
        raise section.fail(
            "cloud",
            "cannot be combined with arm_endpoint",
            "Remove cloud, or remove arm_endpoint and authority.",
        )
    names = [lab.name.casefold() for lab in azure.labs]
    for lab in azure.labs:
        if names.count(lab.name.casefold()) > 1:
            raise section.fail(
                "labs",
                f"names the lab {lab.name!r} twice",
                "Each lab may appear once; VM ids are LAB/VM.",
            )


def _host(section: _Section, key: str) -> str | None:
    """An IP address or a DNS name (it goes into an SSH config line)."""
    import ipaddress

    value = section.text(key)
    if value is None:
        return None
    try:
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        if DNS_NAME.fullmatch(value):
            return value
    raise section.wrong(key, f"must be an IP address or a host name, not {_shown(value)}")


def _read_ssh(section: _Section) -> SshSettings:
    ssh = SshSettings(
        host=_host(section, "host"),
        port=section.port("port"),
        user=section.text("user", LOGIN_NAME, "a login name (letters, digits, '_', '.', '-')"),
        identity_file=section.path_text("identity_file"),
    )
    section.finish()
    return ssh


def _read_polling(section: _Section) -> PollingConfig:
    defaults = PollingConfig()
    polling = PollingConfig(
        fast_seconds=section.amount("fast_seconds", defaults.fast_seconds, "seconds", 60),
        slow_seconds=section.amount("slow_seconds", defaults.slow_seconds, "seconds", 3600),
    )
    section.finish()
    return polling


def _read_tunnels(section: _Section) -> TunnelsConfig:
    # Imported here: forwards.py reads Config itself.
    from desktop.core.forwards import parse_forwards

    tunnels = TunnelsConfig(ports=section.texts("ports"))
    parse_forwards(
        (spec, f"{section.path}: tunnels.ports[{number}]")
        for number, spec in enumerate(tunnels.ports)
    )
    section.finish()
    return tunnels


def _read_autostop(section: _Section) -> AutostopConfig:
    defaults = AutostopConfig()
    enabled = section.flag("enabled", defaults.enabled)
    stop_at = _clock_time(section, "stop_at", section.text("stop_at") or "19:00")
    days = section.texts("days") or WEEKDAYS[:5]
    unknown = [day for day in days if day not in WEEKDAYS]
    if unknown:
        raise BadConfig(
            f"{section.path}: autostop.days has {unknown[0]!r}, which is not a weekday",
            hint=f"Use any of {', '.join(WEEKDAYS)}.",
        )
    times = []
    for day in WEEKDAYS:
        # A per-day key (fri = "17:00", sat = "off") overrides stop_at and days.
        override = section.text(day)
        if override is None:
            times.append(stop_at if day in days else None)
        elif override.strip().lower() == "off":
            times.append(None)
        else:
            times.append(_clock_time(section, day, override))
    minutes = {
        key: section.amount(key, getattr(defaults, key), "minutes", MINUTES_IN_A_DAY)
        for key in ("idle_minutes", "after_hours_idle_minutes", "warn_minutes")
    }
    # The idle agent on the VM counts whole minutes, 1 to a day (remote/idle_agent.py).
    minutes["agent_idle_minutes"] = section.amount(
        "agent_idle_minutes", defaults.agent_idle_minutes, "minutes", MINUTES_IN_A_DAY, least=1
    )
    cpu = section.amount("cpu_busy_percent", defaults.cpu_busy_percent, "percent", 100)
    section.finish()
    return AutostopConfig(enabled=enabled, stop_times=tuple(times), cpu_busy_percent=cpu, **minutes)


def _clock_time(section: _Section, key: str, text: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise BadConfig(
            f'{section.path}: {section.name}.{key} must be a time like "19:00", not {text!r}',
            hint=f'Fix {section.name}.{key} in {section.path} (or write "off" for a weekday).',
        ) from None


def _read_connect(section: _Section) -> ConnectConfig:
    connect = ConnectConfig(
        project=section.path_text("project"),
        open_ide=section.flag("open_ide", True),
        start_on_connect=section.flag("start_on_connect", True),
        start_on_connect_grace=section.amount(
            "start_on_connect_grace", 15.0, "minutes", MINUTES_IN_A_DAY, least=0
        ),
    )
    section.finish()
    return connect


def _read_updates(section: _Section) -> UpdatesConfig:
    # Imported here: its hashing and JSON modules cost the tray's start-up ~10 ms, and only
    # a configured update feed needs them.
    from desktop.core.updates import check_feed_url, decode_public_key

    where = f"{section.path}: updates"
    feed_url = section.text("feed_url")
    public_key = section.text("public_key")
    if feed_url is not None:
        check_feed_url(feed_url, f"{where}.feed_url")
        if public_key is None:
            raise section.fail(
                "public_key",
                "is needed with feed_url: devtray never offers an unsigned update",
                "Add the release key's public half as updates.public_key.",
            )
    if public_key is not None:
        decode_public_key(public_key, f"{where}.public_key")
    updates = UpdatesConfig(
        feed_url=feed_url,
        public_key=public_key,
        # Three states: unset means "on, except in the demo" (see UpdatesConfig).
        check=section.maybe_flag("check"),
        interval_hours=section.amount("interval_hours", UpdatesConfig.interval_hours, "hours", 720),
    )
    section.finish()
    return updates


_PROJECT_IDES = ("vscode", "pycharm", "gateway")


def _read_projects(path: Path, tables: object) -> tuple[ProjectEntry, ...]:
    """`[[projects]]`: folder (required), vm, ide, remote_path (optional); one per folder."""
    if not isinstance(tables, list):
        raise BadConfig(
            f"{path}: projects must be an array of tables",
            hint='Write each project as [[projects]] with folder = "~/src/app".',
        )
    entries: list[ProjectEntry] = []
    for number, table in enumerate(tables, start=1):
        section = _Section(path, f"projects[{number}]", table)
        folder = section.text("folder")
        if folder is None:
            raise section.fail("folder", "is missing", 'Add folder = "~/src/app".')
        ide = section.text("ide")
        if ide is not None and ide not in _PROJECT_IDES:
            raise section.fail("ide", f"must be one of {', '.join(_PROJECT_IDES)}", "Fix it.")
        entry = ProjectEntry(
            folder=folder, vm=section.text("vm"), ide=ide, remote_path=section.text("remote_path")
        )
        section.finish()
        if any(Path(e.folder).expanduser() == Path(folder).expanduser() for e in entries):
            raise section.fail("folder", f"{folder!r} is listed twice", "Remove one of them.")
        entries.append(entry)
    return tuple(entries)


def add_project(path: Path, entry: ProjectEntry) -> None:
    """Append `entry` to `[[projects]]` (a folder already listed is left as it is), keeping
    every other byte of the user's file; validated before it replaces the file."""
    import tomlkit

    from desktop.core.files import atomic_write

    original = path.read_text(encoding="utf-8") if path.exists() else ""
    current = parse_config(original, path).projects if original else ()
    wanted = Path(entry.folder).expanduser()
    if any(Path(e.folder).expanduser() == wanted for e in current):
        return
    document = tomlkit.parse(original)
    if "schema" not in document:
        document.add("schema", SCHEMA_VERSION)
    projects = document.get("projects")
    if projects is None:
        projects = tomlkit.aot()
        document.append("projects", projects)
    table = tomlkit.table()
    for key in ("folder", "vm", "ide", "remote_path"):
        value = getattr(entry, key)
        if value is not None:
            table[key] = value
    projects.append(table)
    text = tomlkit.dumps(document)
    parse_config(text, path)
    atomic_write(path, text.encode("utf-8"), mode=0o600)


def _read_vms(path: Path, table: object) -> Mapping[str, SshSettings]:
    outer = _Section(path, "vm", table)
    vms = {
        name: _read_ssh(_Section(path, f"vm.{name}", body)) for name, body in outer.table.items()
    }
    return MappingProxyType(vms)


_SECTIONS: Mapping[str, Callable[[Path, object], object]] = {
    "aws": lambda path, table: _read_aws(_Section(path, "aws", table)),
    "azure": lambda path, table: _read_azure(_Section(path, "azure", table)),
    "ssh": lambda path, table: _read_ssh(_Section(path, "ssh", table)),
    "polling": lambda path, table: _read_polling(_Section(path, "polling", table)),
    "updates": lambda path, table: _read_updates(_Section(path, "updates", table)),
    "vm": _read_vms,
    "tunnels": lambda path, table: _read_tunnels(_Section(path, "tunnels", table)),
    "autostop": lambda path, table: _read_autostop(_Section(path, "autostop", table)),
    "connect": lambda path, table: _read_connect(_Section(path, "connect", table)),
    "projects": _read_projects,
}

# Sections whose Config field has another name ([vm.NAME] tables live in Config.vms).
_FIELD_FOR_SECTION = {"vm": "vms"}


def parse_config(text: str, path: Path) -> Config:
    """Validate the text of a config file; raises BadConfig naming the file and the key."""
    import tomllib  # imported on use: a first start without a config file never needs it

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadConfig(
            f"{path}: not valid TOML ({exc})",
            hint="Fix the syntax, or move the file away to start from defaults.",
        ) from None
    except RecursionError:  # tomllib recurses once per level of nested arrays or tables
        raise BadConfig(
            f"{path}: arrays or tables are nested too deeply",
            hint="No devtray key takes nested arrays; fix the file.",
        ) from None
    schema = data.pop("schema", SCHEMA_VERSION)
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise BadConfig(f"{path}: schema must be a whole number, not {_shown(schema)}")
    if schema > SCHEMA_VERSION:
        raise BadConfig(
            f"{path}: schema {_shown(schema)} is newer than this devtray understands "
            f"({SCHEMA_VERSION})",
            hint="Update devtray, or restore the file's backup.",
        )
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise BadConfig(
            f"{path}: unknown section or key {_cut(unknown[0])!r}",
            hint=f"Allowed at the top level: schema, {', '.join(sorted(_SECTIONS))}.",
        )
    values = {
        _FIELD_FOR_SECTION.get(name, name): reader(path, data[name])
        for name, reader in _SECTIONS.items()
        if name in data
    }
    return Config(path=path, schema=schema, exists=True, **values)  # type: ignore[arg-type]


def load_config(path: Path | None = None) -> Config:
    """Load and validate the config file; a missing file means all defaults."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path=path)
    except UnicodeDecodeError:
        raise BadConfig(f"{path}: not UTF-8 text", hint="Save the file as UTF-8.") from None
    except OSError as exc:
        raise BadConfig(f"{path}: cannot be read ({exc.strerror})") from None
    return parse_config(text, path)


def update_config(path: Path, changes: Mapping[str, Mapping[str, object]]) -> None:
    """Set `section.key = value` for each change, keeping every other byte of the user's file.

    A value of None removes the key. The result is validated before it replaces the file,
    and the previous file is kept as a backup.
    """
    import tomlkit  # only writers need these; the tray's start-up path does not

    from desktop.core.files import atomic_write

    original = path.read_text(encoding="utf-8") if path.exists() else ""
    document = tomlkit.parse(original)
    if "schema" not in document:
        document.add("schema", SCHEMA_VERSION)
    for section_name, values in changes.items():
        section = document.get(section_name)
        if section is None:
            section = tomlkit.table()
            document.add(section_name, section)
        for key, value in values.items():
            if value is None:
                section.pop(key, None)
            else:
                section[key] = value
    text = tomlkit.dumps(document)
    parse_config(text, path)
    atomic_write(path, text.encode("utf-8"), mode=0o600)
