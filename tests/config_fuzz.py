"""A seeded generator of hostile `config.toml` and `.devtray.toml` files, for the config fuzzer.

Each file is a valid document with mutations: a value replaced by a wrong type, a huge or odd
number, an odd string, deep nesting; a key dropped or invented; a section that is not a table;
or the text itself cut or spliced. `Sample.keys` are the names an error about it may cite.
The same seed gives the same files.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass

# A value is kept as the TOML text that spells it: TOML has spellings (nan, inf, datetimes)
# that Python's literals lack, and some mutations are only expressible as text.
Value = str

Section = tuple[str, dict[str, Value]]  # ("aws", {"region": '"eu-west-1"'}); "" = top level

_PUBLIC_KEY = '"' + "A" * 43 + '="'  # base64 of 32 zero bytes: a well-formed Ed25519 key

CONFIG_SECTIONS: tuple[Section, ...] = (
    ("", {"schema": "1"}),
    (
        "aws",
        {
            "region": '"eu-west-1"',
            "owner_tag": '"Owner"',
            "sizes": '["t3.micro", "t3.large", "t3.*"]',
            "cost_explorer": "true",
        },
    ),
    ("ssh", {"user": '"dev"', "port": "22", "identity_file": '"~/.ssh/id_ed25519"'}),
    ("vm.web", {"host": '"127.0.0.1"', "port": "2222", "user": '"ubuntu"'}),
    ("polling", {"fast_seconds": "0.5", "slow_seconds": "30"}),
    ("tunnels", {"ports": '["8000", "8080:80", "5432:db.internal:5432"]'}),
    (
        "autostop",
        {
            "enabled": "true",
            "stop_at": '"19:00"',
            "days": '["mon", "tue", "wed", "thu", "fri"]',
            "fri": '"17:00"',
            "idle_minutes": "60",
            "warn_minutes": "15",
            "cpu_busy_percent": "20",
            "agent_idle_minutes": "90",
        },
    ),
    ("connect", {"project": '"~/src/app"'}),
    (
        "updates",
        {
            "feed_url": '"https://example.invalid/feed.json"',
            "public_key": _PUBLIC_KEY,
            "check": "false",
            "interval_hours": "24",
        },
    ),
)

AZURE_SECTIONS: tuple[Section, ...] = (
    (
        "azure",
        {
            "subscription": '"00000000-0000-0000-0000-000000000000"',
            "resource_group": '"dev-rg"',
            "lab": '"devlab"',
            "cloud": '"AzureCloud"',
            "tenant": '"contoso.onmicrosoft.com"',
        },
    ),
    ("[azure.labs]", {"lab": '"devlab-eastus"', "resource_group": '"dev-rg-us"'}),
)

PROJECT_SECTIONS: tuple[Section, ...] = (
    (
        "",
        {
            "vm": '"web"',
            "remote_path": '"~/src/app"',
            "ports": '["8000", "3000:80"]',
            "ide": '"vscode"',
            "pull": '["results"]',
            "ignore": '["*.log", "build/"]',
            "sync_git": "false",
        },
    ),
    ("sync", {"engine": '"auto"', "mode": '"one-way-replica"', "trash_days": "7"}),
)


def _string(text: str) -> Value:
    # JSON's escapes are TOML's, except that TOML refuses lone surrogates: the document is then
    # not valid TOML, which is one more thing the loader must refuse politely.
    return json.dumps(text, ensure_ascii=False)


def _float(number: float) -> Value:
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return repr(number)


ODD_NUMBERS: tuple[Value, ...] = (
    "0",
    "-1",
    "1",
    "65535",
    "65536",
    str(10**30),
    str(-(10**30)),
    str(2**63),
    str(2**64 + 1),
    "nan",
    "-nan",
    "inf",
    "-inf",
    _float(1e308),
    _float(-1e308),
    _float(5e-324),
    "-0.0",
    "0.0001",
    "1e3",
    "0x7fffffff",
    "1_000_000",
)

ODD_STRINGS: tuple[Value, ...] = tuple(
    _string(text)
    for text in (
        "",
        " ",
        "\t",
        "\n",
        "a\nb",
        "\x00",
        "\x7f",
        "8000²",
        "٣٣",  # Arabic-Indic digits: isdigit() says yes, ports must not
        "8000:",
        ":8000",
        "0",
        "99999",
        "~nosuchuser/id",
        "~",
        "/",
        "../../../etc/passwd",
        "https://[::1",
        "https://h:99999/",
        "http://example.com",
        "file:///etc/passwd",
        "https://127.0.0.1",
        "127.0.0.1",
        "::1",
        "[::1]",
        "eu-west-1\u202e",
        "%h%p%r",
        "-oProxyCommand=touch /tmp/pwned",
        'a"b',
        "a b",
        "Host *",
        "x" * 5000,
        "é" * 300,
        "\U0001f600",
        "off",
        "25:61",
        "mon",
        "t3.large",
        "AzureCloud",
        "00000000-0000-0000-0000-000000000000",
    )
)

WRONG_TYPES: tuple[Value, ...] = (
    "true",
    "false",
    "[]",
    "[1, 2]",
    '["a", 1]',
    "{}",
    '{ a = "b" }',
    "1979-05-27T07:32:00Z",
    "07:32:00",
    "1979-05-27",
    '[["8000"]]',
    "[{ a = 1 }]",
)


@dataclass(frozen=True)
class Sample:
    """One generated file: its text, how it was made, and the key names an error may cite."""

    text: str
    mutation: str
    keys: frozenset[str]


class Fuzzer:
    """Makes `Sample`s from the valid documents above, deterministically from `seed`."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def config(self) -> Sample:
        """A mutated `config.toml` (AWS, sometimes Azure too)."""
        sections = list(CONFIG_SECTIONS)
        if self.random.random() < 0.25:
            sections += AZURE_SECTIONS
        # Not every file has every section: a partial file is the common case.
        kept = [s for s in sections if s[0] == "" or self.random.random() < 0.7]
        return self._mutated(kept)

    def project(self) -> Sample:
        """A mutated `.devtray.toml`."""
        return self._mutated(list(PROJECT_SECTIONS))

    def odd_value(self) -> Value:
        """A value of the wrong type, a huge or odd number, an odd string, or deep nesting."""
        pick = self.random.random()
        if pick < 0.3:
            return self.random.choice(ODD_NUMBERS)
        if pick < 0.65:
            return self.random.choice(ODD_STRINGS)
        if pick < 0.9:
            return self.random.choice(WRONG_TYPES)
        depth = self.random.choice((2, 10, 200, 3000))
        return "[" * depth + "]" * depth

    def same_kind(self, value: Value) -> Value:
        """An odd value of the type `value` has: a string for a string, a list of odd strings
        for a list, an odd number for a number."""
        if value.startswith('"'):
            return self.random.choice(ODD_STRINGS)
        if value.startswith("["):
            items = self.random.sample(ODD_STRINGS, self.random.choice((1, 2, 3)))
            if self.random.random() < 0.2:
                items = [self.random.choice(ODD_STRINGS)] * 300  # a long list
            return "[" + ", ".join(items) + "]"
        if value[:1].isdigit():
            return self.random.choice(ODD_NUMBERS)
        return self.odd_value()

    def _mutated(self, sections: list[Section]) -> Sample:
        tables = [(name, dict(values)) for name, values in sections]
        done = []
        for _ in range(self.random.choice((1, 1, 1, 1, 2))):
            done.append(self._mutate(tables))
        text = render(tables)
        if self.random.random() < 0.05:
            text, how = self._mangle(text)
            done.append(how)
        keys = {part for name, values in tables for part in name.strip("[]").split(".")}
        keys |= {key for _, values in tables for key in values}
        return Sample(text, "; ".join(done), frozenset(keys - {""}))

    def _mutate(self, tables: list[tuple[str, dict[str, Value]]]) -> str:
        name, values = self.random.choice(tables)
        pick = self.random.random()
        if pick < 0.7 and values:
            key = self.random.choice(sorted(values))
            # Half the time of the same type: such values load, and crashed later.
            same = self.random.random() < 0.6
            values[key] = self.same_kind(values[key]) if same else self.odd_value()
            return f"{name}.{key} = {values[key][:40]}"
        if pick < 0.8:
            values[f"x{self.random.randrange(1000)}"] = "1"
            return f"unknown key in [{name}]"
        if pick < 0.9 and values:
            key = self.random.choice(sorted(values))
            del values[key]
            return f"{name}.{key} removed"
        if name and not name.startswith("["):
            # The section becomes a plain key: `ssh = 5` where a table belongs.
            tables.remove((name, values))
            tables[0][1][name.split(".")[0]] = self.odd_value()
            return f"[{name}] replaced by a value"
        tables.append((f"s{self.random.randrange(100)}", {"a": "1"}))
        return "unknown section"

    def _mangle(self, text: str) -> tuple[str, str]:
        cut = self.random.randrange(len(text) + 1)
        if self.random.random() < 0.5:
            return text[:cut], f"cut at {cut}"
        noise = self.random.choice(('"', "[", "]]", "=", "\\", "\x00", "\ufeff", "\r", "[[x]]\n"))
        return text[:cut] + noise + text[cut:], f"{noise!r} spliced in at {cut}"


def render(tables: list[tuple[str, dict[str, Value]]]) -> str:
    """TOML text: top-level keys first, then `[table]` and `[[array.of.tables]]` blocks."""
    lines = []
    for name, values in sorted(tables, key=lambda table: table[0] != ""):
        if name:
            lines.append(f"\n[{name}]")  # "[azure.labs]" gives [[azure.labs]]
        lines += [f"{key} = {value}" for key, value in values.items()]
    return "\n".join(lines) + "\n"
