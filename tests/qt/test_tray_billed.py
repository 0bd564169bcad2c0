"""The tray's month row and the Spending window with Cost Explorer's bill (moto on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.qt.spending_window import BILLED_COLOR
from tests.integration.test_aws_billed import queue_month
from tests.integration.test_aws_cost import X86_IMAGE
from tests.moto_server import MotoEndpoint, run_instance
from tests.qt.test_cost_autostop import build_for_configured_cloud
from tests.qt.test_tray import open_menu


def test_month_row_and_spending_window_show_the_bill(
    qtbot: QtBot, make_tray, moto: MotoEndpoint, config_file: Path, tmp_path: Path
) -> None:
    config_file.write_text('[aws]\nregion = "eu-west-1"\n')
    vm_id = run_instance("devbox", instance_type="t3.micro", image=X86_IMAGE)
    through, billed = queue_month(moto, 1.25)
    if billed is None:
        pytest.skip("nothing of this month is billed on its first two days")
    harness, watch = build_for_configured_cloud(make_tray, tmp_path)
    expected = f"This month: ${billed:,.2f} billed to {through:%d %b} + $0.00 estimate since"
    qtbot.waitUntil(
        lambda: (
            f"billed:{vm_id}" in open_menu(harness.tray)
            and open_menu(harness.tray)[f"billed:{vm_id}"].text().startswith(expected)
        ),
        timeout=15000,
    )
    # The cost line above it stays the labelled estimate of today.
    assert "(estimate" in open_menu(harness.tray)[f"cost:{vm_id}"].text()

    open_menu(harness.tray)[f"spending:{vm_id}"].trigger()
    qtbot.waitUntil(lambda: vm_id in watch.windows, timeout=5000)
    window = watch.windows[vm_id]
    qtbot.waitUntil(lambda: expected in window.summary.text(), timeout=15000)
    assert f"(billed to {through.day} {through:%b}, estimate since)" in window.summary.text()
    assert "Billed figures: AWS Cost Explorer, EC2 and VPC costs tagged Owner=moto." in (
        window.footer.text()
    )
    chart = window.chart
    assert max(chart.billed) == through
    assert {cost.amount for day, cost in chart.days if day in chart.billed} == {1.25}
    assert all(day > through for day, _cost in chart.days if day not in chart.billed)
    image = chart.grab().toImage()
    # The first bar is a billed day: green, at the bottom left of the chart, and said so.
    bottom = int(chart.plot_area().bottom() - 3)
    assert image.pixelColor(int(chart.bar_rect(0).center().x()), bottom) == BILLED_COLOR
    assert "Billed by the cloud" in window.legend.text()
