"""The icons generated from the one SVG: PNG sizes, a well-formed .ico and .icns."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packaging"))

from icons import ICNS_TYPES, ICO_SIZES, PNG_SIZES, write_icons

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_side(data: bytes) -> int:
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])
    assert width == height
    return int(width)


def test_pngs_ico_and_icns(tmp_path: Path) -> None:
    write_icons(tmp_path)
    for size in PNG_SIZES:
        assert png_side((tmp_path / f"devtray-{size}.png").read_bytes()) == size

    ico = (tmp_path / "devtray.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind, count) == (0, 1, len(ICO_SIZES))
    sides = []
    for index in range(count):
        _, _, _, _, _, _, length, offset = struct.unpack(
            "<BBBBHHII", ico[6 + 16 * index : 22 + 16 * index]
        )
        sides.append(png_side(ico[offset : offset + length]))
    assert sides == sorted(ICO_SIZES)

    icns = (tmp_path / "devtray.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    position, found = 8, {}
    while position < len(icns):
        kind_tag, length = (
            icns[position : position + 4],
            struct.unpack(">I", icns[position + 4 : position + 8])[0],
        )
        found[kind_tag] = png_side(icns[position + 8 : position + length])
        position += length
    assert found == {tag: size for size, tag in ICNS_TYPES.items()}
