"""Two managed blocks in one ~/.ssh/config: devtray's and the demo's. Each writer rewrites only
its own; neither moves, changes or trips over the other, and removing one gives back the
file as it was without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.remote.ssh_config import (
    DEMO_BLOCK,
    DEVTRAY_BLOCK,
    HostEntry,
    ManagedBlockError,
    SshConfigWriter,
    alias_in_block,
    merge_block,
    previous_hostnames,
    remove_block,
)
from tests.unit.test_ssh_config import ENTRY, PATH, USER_CONFIG

DEMO = HostEntry("demo-devbox.devtray", "demo-0001", (("HostName", "127.0.0.1"), ("Port", "40022")))
MOVED = HostEntry(ENTRY.alias, ENTRY.vm_id, (("HostName", "198.51.100.1"),))


def _between(data: bytes, begin: str, end: str) -> bytes:
    text = data.decode()
    return text[text.index(begin) : text.index(end) + len(end)].encode()


def real_block(data: bytes) -> bytes:
    return _between(data, DEVTRAY_BLOCK.begin_marker, DEVTRAY_BLOCK.end_marker)


def demo_block(data: bytes) -> bytes:
    return _between(data, DEMO_BLOCK.begin_marker, DEMO_BLOCK.end_marker)


def test_the_demo_block_joins_and_leaves_without_touching_the_real_block_or_user_lines() -> None:
    real = merge_block(USER_CONFIG, [ENTRY], PATH)
    with_demo = merge_block(real, [DEMO], PATH, DEMO_BLOCK)

    assert real_block(with_demo) == real_block(real)
    assert remove_block(with_demo, PATH, DEMO_BLOCK) == real  # byte for byte
    assert remove_block(remove_block(with_demo, PATH, DEMO_BLOCK), PATH) == USER_CONFIG
    # Above the user's first Include, like the real block (an included Host * would win).
    assert with_demo.index(DEMO_BLOCK.end_marker.encode()) < with_demo.index(b"Include")
    assert alias_in_block(PATH, DEMO.vm_id) is None  # the real block's lookup never sees it
    assert previous_hostnames(with_demo, PATH) == {"devbox.devtray": "203.0.113.7"}
    assert previous_hostnames(with_demo, PATH, DEMO_BLOCK) == {"demo-devbox.devtray": "127.0.0.1"}


def test_the_real_writer_rewrites_its_block_and_leaves_the_demo_block_as_it_is() -> None:
    with_demo = merge_block(merge_block(USER_CONFIG, [ENTRY], PATH), [DEMO], PATH, DEMO_BLOCK)
    moved = merge_block(with_demo, [MOVED], PATH)

    assert demo_block(moved) == demo_block(with_demo)
    assert b"198.51.100.1" in real_block(moved) and b"203.0.113.7" not in moved
    # Neither block is "under a Host line" because of the other: no writer moves the other's
    # block or its own, however often each rewrites.
    assert merge_block(moved, [MOVED], PATH) == moved
    assert merge_block(moved, [DEMO], PATH, DEMO_BLOCK) == moved
    assert remove_block(remove_block(moved, PATH, DEMO_BLOCK), PATH) == USER_CONFIG


def test_a_real_block_written_while_the_demo_block_is_there_comes_out_cleanly() -> None:
    demo_only = merge_block(USER_CONFIG, [DEMO], PATH, DEMO_BLOCK)
    assert previous_hostnames(demo_only, PATH) == {}  # "BEGIN DEVTRAY DEMO" is not ours
    both = merge_block(demo_only, [ENTRY], PATH)
    assert demo_block(both) == demo_block(demo_only)
    assert remove_block(both, PATH) == demo_only
    assert remove_block(both, PATH, DEMO_BLOCK) == merge_block(USER_CONFIG, [ENTRY], PATH)


def test_damaged_markers_of_one_block_are_that_blocks_error_only() -> None:
    damaged_real = merge_block(USER_CONFIG, [ENTRY], PATH).replace(
        DEVTRAY_BLOCK.end_marker.encode(), b""
    )
    with pytest.raises(ManagedBlockError, match="BEGIN DEVTRAY marker on line 1 has no END"):
        merge_block(damaged_real, [ENTRY], PATH)
    # The demo's block still goes in, above the damaged block's Host lines.
    with_demo = merge_block(damaged_real, [DEMO], PATH, DEMO_BLOCK)
    assert with_demo.index(DEMO_BLOCK.end_marker.encode()) < with_demo.index(b"Host devbox")
    assert remove_block(with_demo, PATH, DEMO_BLOCK) == damaged_real

    twice = merge_block(b"", [DEMO], PATH, DEMO_BLOCK) * 2
    with pytest.raises(ManagedBlockError, match="BEGIN DEVTRAY DEMO marker appears 2 times"):
        merge_block(twice, [DEMO], PATH, DEMO_BLOCK)


def test_the_demo_writer_removes_only_its_block_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config"
    real = merge_block(USER_CONFIG, [ENTRY], path)
    path.write_bytes(merge_block(real, [DEMO], path, DEMO_BLOCK))
    demo = SshConfigWriter(path=path, block=DEMO_BLOCK)

    assert demo.remove() is True
    assert path.read_bytes() == real
    assert demo.remove() is False  # nothing left to take out: the file is not rewritten
    assert SshConfigWriter(path=path).remove() is True
    assert path.read_bytes() == USER_CONFIG
