"""The rules that keep the frozen bundle small (packaging/bundle_contents.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packaging"))

from bundle_contents import keep_qt_plugin, select_binaries, select_datas


def test_qt_plugins_kept_are_those_a_tray_uses() -> None:
    base = "PySide6/Qt/plugins/"
    assert keep_qt_plugin(base + "platforms/libqxcb.so")
    assert keep_qt_plugin(base + "platforms/libqwayland.so")
    assert keep_qt_plugin("PySide6\\plugins\\platforms\\qwindows.dll")
    assert keep_qt_plugin(base + "platforms/libqcocoa.dylib")
    assert keep_qt_plugin(base + "iconengines/libqsvgicon.so")
    assert keep_qt_plugin(base + "imageformats/libqsvg.so")
    assert not keep_qt_plugin(base + "imageformats/libqjpeg.so")
    assert not keep_qt_plugin(base + "platforms/libqvnc.so")
    assert not keep_qt_plugin(base + "platformthemes/libqgtk3.so")
    assert keep_qt_plugin(base + "platformthemes/libqxdgdesktopportal.so")
    assert not keep_qt_plugin(base + "sqldrivers/libqsqlite.so")
    assert keep_qt_plugin("libQt6Core.so.6")  # not a plugin: kept


def test_only_the_newest_model_of_devtrays_aws_services_is_shipped() -> None:
    entries = [
        ("botocore/data/endpoints.json", "src", "DATA"),
        ("botocore/data/ec2/2016-09-15/service-2.json.gz", "src", "DATA"),
        ("botocore/data/ec2/2016-11-15/service-2.json.gz", "src", "DATA"),
        ("botocore/data/ec2/2016-11-15/waiters-2.json", "src", "DATA"),
        ("botocore/data/s3/2006-03-01/service-2.json.gz", "src", "DATA"),
        ("resources/app/devtray.svg", "src", "DATA"),
    ]
    assert [e[0] for e in select_datas(entries)] == [
        "botocore/data/endpoints.json",
        "botocore/data/ec2/2016-11-15/service-2.json.gz",
        "botocore/data/ec2/2016-11-15/waiters-2.json",
        "resources/app/devtray.svg",
    ]


def test_unused_qt_modules_are_left_out() -> None:
    entries = [
        ("PySide6/Qt/lib/libQt6Widgets.so.6", "src", "BINARY"),
        ("PySide6/Qt/lib/libQt6Quick.so.6", "src", "BINARY"),
        ("PySide6/Qt/lib/libQt6WebEngineCore.so.6", "src", "BINARY"),
    ]
    assert [e[0] for e in select_binaries(entries)] == ["PySide6/Qt/lib/libQt6Widgets.so.6"]
