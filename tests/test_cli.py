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
    # 10 days: the detector learns each logger's hour-of-week baseline for 7 days first.
    csv = net1_scada_csv(tmp_path / "scada.csv", "2024-07-01 00:00", 10, leak_node="22", leak_from_step=8 * 288 + 60)
    out = runner.invoke(leakdet_app, ["scada", "ingest", str(csv), "--network", "cli-net"])
    assert out.exit_code == 0 and "loaded" in out.output
    out = runner.invoke(leakdet_app, ["detect", "--network", "cli-net", "--start", "2024-07-01", "--end", "2024-07-10"])
    assert out.exit_code == 0 and "10 day(s)" in out.output
    out = runner.invoke(leakdet_app, ["events", "export", "--network", "cli-net", "--format", "csv"])
    header = out.output.splitlines()[0].split(",")
    assert {"link_id", "detected_at", "estimated_start", "est_flow_lps", "probability", "status"} <= set(header)
    assert len(out.output.splitlines()) > 1
    import io

    import pandas as pd

    rows = pd.read_csv(io.StringIO(out.output))
    # Each event names the pipe reported at detection; unrefined, that is its rank 1.
    top = rows[rows["rank"] == 1]
    assert (top.loc[top["refined_at"].isna(), "initial_link_id"] == top.loc[top["refined_at"].isna(), "link_id"]).all()
    assert rows.groupby("event_id")["initial_link_id"].nunique().eq(1).all()


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


def test_scada_simulate_for_a_stored_network(db_url, tmp_path):
    runner.invoke(leakdet_app, ["network", "import", str(NET1), "--name", "cli-sim", "--origin", "4.89,114.94"])
    smap = tmp_path / "s.csv"
    smap.write_text(NET1_DAILY_SENSORS)
    runner.invoke(leakdet_app, ["sensors", "import", str(smap), "--network", "cli-sim"])
    leaks = tmp_path / "leaks.csv"
    leaks.write_text("link_id,start,end,diameter_m,type,peak\n22,2024-08-01 06:00,2024-08-03 00:00,0.02,abrupt,\n")
    out = runner.invoke(leakdet_app, ["scada", "simulate", "--network", "cli-sim", "--start", "2024-08-01",
                                      "--end", "2024-08-03", "--leaks", str(leaks), "--out", str(tmp_path / "x")])
    assert out.exit_code == 0, out.output
    assert sorted(p.name for p in (tmp_path / "x").glob("scada_*.csv")) == ["scada_2024-08-01.csv", "scada_2024-08-02.csv"]
    truth = (tmp_path / "x" / "ground_truth_leaks.csv").read_text()
    assert "22,LEAK_22,2024-07-31T22:00:00Z" in truth
    out = runner.invoke(leakdet_app, ["scada", "ingest", *map(str, sorted((tmp_path / "x").glob("scada_*.csv"))),
                                      "--network", "cli-sim"])
    assert out.exit_code == 0 and out.output.count("│ loaded │") == 2
