"""Leak schedules: CSV and BattLeDIM .yalm, time zones, and errors that name the line."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import shared_file
from leakdet.errors import InputFileError
from leakdet.synth.leak_schedule import leak_table, read_leak_schedule

HEADER = "link_id,start,end,diameter_m,type,peak\n"


def test_csv_local_times_become_utc(tmp_path):
    f = tmp_path / "leaks.csv"
    f.write_text(HEADER + "P-1,2025-01-01 08:00,2025-01-05 00:00,0.02,abrupt,\n"
                 "\n"
                 "P-2,2025-01-02 00:00+00:00,2025-01-05 00:00,0.01,Incipient,2025-01-03 00:00\n")
    abrupt, incipient = read_leak_schedule(f)
    assert abrupt.start == pd.Timestamp("2025-01-01 00:00", tz="UTC")        # 08:00 in Brunei (UTC+8)
    assert abrupt.peak == abrupt.start and abrupt.kind == "abrupt"
    assert incipient.start == pd.Timestamp("2025-01-02 00:00", tz="UTC")     # explicit offset kept
    assert incipient.peak == pd.Timestamp("2025-01-02 16:00", tz="UTC")      # naive peak: Brunei time
    assert incipient.kind == "incipient" and incipient.diameter_m == 0.01
    table = leak_table([abrupt, incipient])
    assert list(table.index) == [abrupt.leak_id, incipient.leak_id]
    assert str(table["start"].dt.tz) == "UTC"


@pytest.mark.parametrize("row, field", [
    ("P-1,2025-01-01,2025-01-05,big,abrupt,", "field diameter_m"),
    ("P-1,2025-01-05,2025-01-01,0.02,abrupt,", "field end"),
    ("P-1,2025-01-01,2025-01-05,0.02,sudden,", "field type"),
    ("P-1,2025-01-03,2025-01-05,0.02,incipient,2025-01-01", "field peak"),
    ("P-1,yesterday,2025-01-05,0.02,abrupt,", "field start"),
])
def test_bad_csv_row_names_file_line_and_field(tmp_path, row, field):
    f = tmp_path / "leaks.csv"
    f.write_text(HEADER + "P-0,2025-01-01,2025-01-05,0.02,abrupt,\n\n" + row + "\n")
    with pytest.raises(InputFileError, match=rf"leaks\.csv:4: {field}"):      # line 3 is blank
        read_leak_schedule(f)


def test_missing_column_is_reported(tmp_path):
    f = tmp_path / "leaks.csv"
    f.write_text("link_id,start,end,type\nP-1,2025-01-01,2025-01-05,abrupt\n")
    with pytest.raises(InputFileError, match="leaks.csv:1: missing column.*diameter_m"):
        read_leak_schedule(f)


def test_yalm_schedule_in_the_callers_clock(tmp_path):
    f = tmp_path / "mini.yalm"
    f.write_text("times:\n  StartTime: 2018-01-01 00:00\n\nleakages:\n"
                 "- # linkID, startTime, endTime, leakDiameter (m), leakType, peakTime\n"
                 "- p257, 2018-01-08 13:30, 2018-12-31 23:55, 0.011843, incipient, 2018-01-25 08:30\n"
                 "- p673, 2018-03-05 15:45, 2018-03-23 10:25, 0.022916, abrupt, 2018-03-05 15:45\n\n"
                 "pressure_sensors:\n- n1\n- n4\n")
    leaks = read_leak_schedule(f, tz="UTC")
    assert [l.link_id for l in leaks] == ["p257", "p673"]
    assert leaks[0].start == pd.Timestamp("2018-01-08 13:30", tz="UTC")
    assert read_leak_schedule(f)[0].start == pd.Timestamp("2018-01-08 05:30", tz="UTC")   # default Asia/Brunei
    f.write_text(f.read_text().replace("0.022916, abrupt,", "0.022916,"))
    with pytest.raises(InputFileError, match=r"mini\.yalm:7: expected 6 fields"):
        read_leak_schedule(f)


def test_battledim_ltown_schedule():
    leaks = read_leak_schedule(shared_file("networks", "ltown-2018-leaks.yalm"), tz="UTC")
    assert len(leaks) == 14 and {l.kind for l in leaks} == {"abrupt", "incipient"}
    p257 = next(l for l in leaks if l.link_id == "p257")
    assert p257.diameter_m == pytest.approx(0.011843)
    assert p257.peak == pd.Timestamp("2018-01-25 08:30", tz="UTC")
    assert all(l.start < l.end and l.start <= l.peak for l in leaks)


def test_random_schedule_is_reproducible_round_trips_and_keeps_its_ranges(tmp_path):
    from leakdet.synth.random_schedule import DIAMETER_RANGE_M, random_leak_schedule, write_leak_schedule

    pipes = [f"p{i}" for i in range(200)]
    leaks = random_leak_schedule(pipes, "2018-01-01", "2019-01-01", 30, seed=7)
    assert leaks == random_leak_schedule(pipes, "2018-01-01", "2019-01-01", 30, seed=7)
    assert leaks != random_leak_schedule(pipes, "2018-01-01", "2019-01-01", 30, seed=8)
    assert len({l.link_id for l in leaks}) == 30                    # each pipe leaks once
    assert [l.start for l in leaks] == sorted(l.start for l in leaks)
    year_end = pd.Timestamp("2019-01-01", tz="UTC")
    for l in leaks:
        assert pd.Timestamp("2018-01-16", tz="UTC") <= l.start <= year_end - pd.Timedelta(days=14)
        assert l.start < l.end < year_end
        assert DIAMETER_RANGE_M[0] <= l.diameter_m <= DIAMETER_RANGE_M[1]
        assert l.start <= l.peak <= l.end and (l.kind == "incipient" or l.peak == l.start)
    assert {"abrupt", "incipient"} == {l.kind for l in leaks}
    assert read_leak_schedule(write_leak_schedule(leaks, tmp_path / "random.csv")) == leaks
    with pytest.raises(ValueError, match="each pipe leaks at most once"):
        random_leak_schedule(pipes[:3], "2018-01-01", "2019-01-01", 4, seed=1)
