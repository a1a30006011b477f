"""The command lines: happy path on Net1 and one-line errors."""
from __future__ import annotations

from typer.testing import CliRunner

from helpers import NET1, NET1_DAILY_SENSORS, net1_scada_csv
from leakdet.cli import app as leakdet_app

runner = CliRunner()


def test_leakdet_import_ingest_detect_export(db_url, tmp_path):
    out = runner.invoke(leakdet_app, ["network", "import", str(NET1), "--name", "cli-net", "--origin", "4.89,114.94",
                                      "--anchor", "centre"])
    assert out.exit_code == 0 and "nodes" in out.output
    smap = tmp_path / "s.csv"
    smap.write_text(NET1_DAILY_SENSORS)
    assert runner.invoke(leakdet_app, ["sensors", "import", str(smap), "--network", "cli-net"]).exit_code == 0
    csv = net1_scada_csv(tmp_path / "scada.csv", "2024-07-01 00:00", 3, leak_node="22", leak_from_step=2 * 288 + 60)
    out = runner.invoke(leakdet_app, ["scada", "ingest", str(csv), "--network", "cli-net"])
    assert out.exit_code == 0 and "loaded" in out.output
    out = runner.invoke(leakdet_app, ["detect", "--network", "cli-net", "--start", "2024-07-01", "--end", "2024-07-03"])
    assert out.exit_code == 0 and "3 day(s)" in out.output
    out = runner.invoke(leakdet_app, ["events", "export", "--network", "cli-net", "--format", "csv"])
    header = out.output.splitlines()[0].split(",")
    assert {"link_id", "detected_at", "estimated_start", "est_flow_lps", "probability", "status"} <= set(header)
    assert len(out.output.splitlines()) > 1


def test_errors_are_one_line(db_url, tmp_path):
    bad = tmp_path / "s.csv"
    bad.write_text("sensor_id,kind,element_id,unit\nX,pressure,NOPE,m\nY,flow,10,furlongs\n")
    out = runner.invoke(leakdet_app, ["sensors", "import", str(bad), "--network", "missing-net"])
    assert out.exit_code == 1 and "network 'missing-net' is not imported" in out.output
    runner.invoke(leakdet_app, ["network", "import", str(NET1), "--name", "cli-err", "--origin", "4.89,114.94"])
    out = runner.invoke(leakdet_app, ["sensors", "import", str(bad), "--network", "cli-err"])
    assert out.exit_code == 1
    assert "s.csv:2 element_id: node 'NOPE' is not in the network" in out.output
    assert "s.csv:3 unit: 'furlongs' is not a flow unit" in out.output
    out = runner.invoke(leakdet_app, ["network", "import", str(NET1), "--name", "cli-err2"])
    assert out.exit_code == 1 and "--origin" in out.output        # local coordinates need placing
