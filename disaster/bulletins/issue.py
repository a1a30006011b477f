"""Issue the bulletins of one hour: plan, write CAP/HTML/Atom files, record them in ``hazard.bulletins``.

Everything for an hour happens in one transaction, serialised by an advisory lock, so two
issuers cannot both open the same situation. ``sent`` is the end of the scored hour (not
the wall clock) and identifiers derive from region and hour, so issuing the same hour
again rewrites the same files and the same rows. Re-issuing an hour that later messages
already reference is refused if it would change what they reference.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
from lxml import etree
from shapely import wkb
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from disaster.areas.store import LEVELS, area_code
from disaster.bulletins.atom import FEED_FILE, FeedEntry, build_feed
from disaster.bulletins.cap import CAP_NS, build_alert
from disaster.bulletins.config import CapConfig
from disaster.bulletins.html import render_bulletin
from disaster.bulletins.situations import LOCAL_TZ, AreaRisk, Message, PastMessage, plan_messages, reference_list
from disaster.bulletins.text import xml_safe
from disaster.errors import DisasterError
from platform_core.db import get_engine

FEED_LIMIT = 100
_LOCK = 0x424E5743   # advisory lock key: one bulletin issuer at a time


class BulletinError(DisasterError):
    """Bulletins cannot be issued for the hour asked (one line, naming the hour and the reason)."""


class NoRiskScoresError(BulletinError):
    """The hour has not been scored yet."""


def hour_end(at) -> pd.Timestamp:
    """The hour end (UTC) of ``at``: local Brunei time when naive, floored to the hour."""
    try:
        t = pd.Timestamp(at)
    except (ValueError, TypeError) as exc:
        raise BulletinError(f"--at {at!r}: not a time ({exc})") from None
    if t is pd.NaT:
        raise BulletinError(f"--at {at!r}: not a time")
    t = t.tz_localize(LOCAL_TZ) if t.tzinfo is None else t
    return t.tz_convert("UTC").floor("1h")


def _area_risks(conn: Connection, t: pd.Timestamp, area_level: str) -> list[AreaRisk]:
    rows = conn.execute(text(
        """SELECT a.id, a.code, a.name, coalesce(a.district, a.name) AS district, p.code AS parent_code,
                  a.is_approximation, ST_AsBinary(a.geom) AS wkb, r.level, r.drivers,
                  r.rain_1h_mm, r.rain_3h_mm, r.rain_24h_mm
           FROM hazard.admin_areas a
           LEFT JOIN hazard.admin_areas p ON p.id = a.parent_id AND p.level = 'district'
           LEFT JOIN hazard.risk_scores r ON r.area_id = a.id AND r.ts = :t
           WHERE a.level = :level ORDER BY a.id"""), {"t": t.to_pydatetime(), "level": area_level}).all()
    if not rows:
        raise BulletinError(f"no {area_level} areas in hazard.admin_areas: load areas first "
                            "(disaster areas approximate | disaster areas import)")
    if all(r.level is None for r in rows):
        raise NoRiskScoresError(f"no risk scores for the hour ending {t.tz_convert(LOCAL_TZ):%Y-%m-%d %H:%M} BNT: "
                            "run `disaster risk run` for it first")
    # Names and reasons are data: cleaned of characters XML cannot carry once, here, for every output.
    return [AreaRisk(r.id, xml_safe(r.code), xml_safe(r.name), xml_safe(r.district),
                     xml_safe(r.parent_code or area_code("district", r.district, r.district)), r.level,
                     xml_safe(r.drivers),
                     r.rain_1h_mm, r.rain_3h_mm, r.rain_24h_mm, r.is_approximation, wkb.loads(bytes(r.wkb)))
            for r in rows]


def _history(conn: Connection, t: pd.Timestamp) -> list[PastMessage]:
    """The messages before ``t`` of each region's latest situation (all that planning needs), oldest first."""
    rows = conn.execute(text(
        """WITH latest AS (
               SELECT DISTINCT ON (group_key) group_key, situation_id FROM hazard.bulletins
               WHERE sent < :t ORDER BY group_key, sent DESC)
           SELECT b.identifier, b.sender, b.sent, b.msg_type, b.group_key, b.situation_id, b.area_levels, b.expires
           FROM hazard.bulletins b JOIN latest USING (group_key, situation_id)
           WHERE b.sent < :t ORDER BY b.sent, b.id"""), {"t": t.to_pydatetime()}).all()
    return [PastMessage(r.identifier, r.sender, pd.Timestamp(r.sent), r.msg_type, r.group_key, r.situation_id,
                        {int(k): v for k, v in r.area_levels.items()},
                        pd.Timestamp(r.expires) if r.expires is not None else None) for r in rows]


def _assets(conn: Connection, t: pd.Timestamp, area_ids: list[int]) -> list[dict]:
    rows = conn.execute(text(
        """SELECT asset_kind, network_name, asset_id, detail, area_name, risk_level,
                  ST_Y(geom) AS lat, ST_X(geom) AS lon
           FROM hazard.water_assets_at_risk_at(:t) WHERE area_id = ANY(:ids)
           ORDER BY CASE risk_level WHEN 'red' THEN 0 ELSE 1 END, asset_kind, network_name, asset_id"""),
        {"t": t.to_pydatetime(), "ids": area_ids}).mappings().all()
    return [dict(r) for r in rows]


def _write(path: Path, data: bytes) -> None:
    # Write then rename, so a web server never serves half a file.
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _file_stem(message: Message) -> str:
    region = message.group_key.split(":", 1)[-1]
    return f"{region}-{message.sent.tz_convert(LOCAL_TZ):%Y%m%dT%H%M}-{message.msg_type.lower()}"


def issue_hour(at, out_dir: str | Path, area_level: str = "mukim", engine: Engine | None = None,
               config: CapConfig | None = None) -> dict:
    """Issue the bulletins for the hour ending at ``at``.

    Parameters
    ----------
    at : str or timestamp
        Hour end; local Brunei time when naive.
    out_dir : path
        Directory for the CAP files, HTML bulletins and ``bulletins.atom``.
    area_level : {"mukim", "kampong", "district"}
        The areas a bulletin lists; situations group them by district.
    engine : sqlalchemy Engine, optional
    config : CapConfig, optional
        Defaults to :meth:`CapConfig.from_env`.

    Returns
    -------
    dict
        ``hour`` (local ISO), ``alerts``/``updates``/``cancels`` (counts), ``messages``
        (identifier, type, level, region), ``files`` (paths written) and ``feed``.
    """
    if area_level not in LEVELS:
        raise BulletinError(f"--area-level {area_level!r}: must be one of {', '.join(LEVELS)}")
    cfg = config or CapConfig.from_env()
    t = hour_end(at)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    engine = engine or get_engine()
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
        areas = _area_risks(conn, t, area_level)
        history = _history(conn, t)
        messages = plan_messages(areas, history, t, cfg.oid, cfg.expires_hours)
        stored = {r.group_key: r for r in conn.execute(text(
            "SELECT group_key, identifier, msg_type, xml_sha256, cap_path, html_path, utility_html_path "
            "FROM hazard.bulletins WHERE sent = :t"), {"t": t.to_pydatetime()}).all()}
        later = {r.group_key for r in conn.execute(text(
            "SELECT DISTINCT group_key FROM hazard.bulletins WHERE sent > :t"), {"t": t.to_pydatetime()}).all()}
        # Build and check everything first, so a refusal leaves files and rows as they were.
        planned = {m.group_key for m in messages}
        dropped = sorted(set(stored) - planned)
        for gone in dropped:
            _refuse_if_referenced(gone, later, t, "no longer needs its message")
        built = []
        for message in messages:
            stem = _file_stem(message)
            xml = build_alert(message, cfg, cfg.link(f"{stem}.html"))
            sha = hashlib.sha256(xml).hexdigest()
            previous = stored.get(message.group_key)
            if previous is None:
                _refuse_if_referenced(message.group_key, later, t, "would get a new message")
            elif previous.xml_sha256 != sha:
                _refuse_if_referenced(message.group_key, later, t, "would change its message")
            built.append((message, stem, xml, sha))
        for gone in dropped:
            conn.execute(text("DELETE FROM hazard.bulletins WHERE group_key = :g AND sent = :t"),
                         {"g": gone, "t": t.to_pydatetime()})
            _remove_files(stored[gone])
        files, summary = [], []
        for message, stem, xml, sha in built:
            cap, page, utility = out / f"{stem}.xml", out / f"{stem}.html", out / f"{stem}-utility.html"
            previous = stored.get(message.group_key)
            if previous is not None and previous.cap_path != str(cap):
                _remove_files(previous)          # the message changed type: its old files go
            _write(cap, xml)
            render_bulletin(message, cfg, page, cfg.link(cap.name))
            assets = _assets(conn, t, [a.area_id for a in message.areas]) if message.msg_type != "Cancel" else []
            render_bulletin(message, cfg, utility, cfg.link(cap.name), assets=assets)
            _store(conn, message, cfg, xml, sha, cap, page, utility)
            files += [str(cap), str(page), str(utility)]
            summary.append({"identifier": message.identifier, "msg_type": message.msg_type,
                            "level": message.level, "region": message.region, "areas": len(message.areas),
                            "assets_at_risk": len(assets)})
        feed = out / FEED_FILE
        entries = _feed_entries(conn)
        _write(feed, build_feed(entries, cfg, max((e.sent for e in entries), default=t)))
    counts = {key: sum(m["msg_type"] == kind for m in summary)
              for key, kind in (("alerts", "Alert"), ("updates", "Update"), ("cancels", "Cancel"))}
    return {"hour": t.tz_convert(LOCAL_TZ).isoformat(), **counts, "messages": summary, "files": files,
            "feed": str(feed)}


def _refuse_if_referenced(group: str, later: set[str], t: pd.Timestamp, what: str) -> None:
    if group in later:
        raise BulletinError(
            f"{group} at {t.tz_convert(LOCAL_TZ):%Y-%m-%d %H:%M} BNT {what}, but later bulletins of that region "
            "already reference it; re-issue from that hour on in order, after deleting the later rows of "
            "hazard.bulletins for the region")


def _remove_files(row) -> None:
    for path in (row.cap_path, row.html_path, row.utility_html_path):
        if path:
            Path(path).unlink(missing_ok=True)


def _store(conn: Connection, message: Message, cfg: CapConfig, xml: bytes, sha: str,
           cap_path: Path, html_path: Path, utility_path: Path) -> None:
    conn.execute(text(
        """INSERT INTO hazard.bulletins (identifier, sender, sent, msg_type, status, "references", group_key,
                                         situation_id, level, area_levels, area_ids, expires, cap_path, html_path,
                                         utility_html_path, xml_sha256, xml_text)
           VALUES (:identifier, :sender, :sent, :msg_type, :status, :references, :group_key, :situation_id, :level,
                   CAST(:area_levels AS jsonb), :area_ids, :expires, :cap_path, :html_path, :utility_html_path,
                   :sha, :xml_text)
           ON CONFLICT (group_key, sent) DO UPDATE SET identifier = EXCLUDED.identifier, sender = EXCLUDED.sender,
               msg_type = EXCLUDED.msg_type, status = EXCLUDED.status, "references" = EXCLUDED."references",
               situation_id = EXCLUDED.situation_id, level = EXCLUDED.level, area_levels = EXCLUDED.area_levels,
               area_ids = EXCLUDED.area_ids, expires = EXCLUDED.expires, cap_path = EXCLUDED.cap_path,
               html_path = EXCLUDED.html_path, utility_html_path = EXCLUDED.utility_html_path,
               xml_sha256 = EXCLUDED.xml_sha256, xml_text = EXCLUDED.xml_text"""),
        {"identifier": message.identifier, "sender": cfg.sender, "sent": message.sent.to_pydatetime(),
         "msg_type": message.msg_type, "status": cfg.status, "references": reference_list(message.references) or None,
         "group_key": message.group_key, "situation_id": message.situation_id, "level": message.level,
         "area_levels": json.dumps({str(k): v for k, v in message.area_levels.items()}),
         "area_ids": list(message.area_levels),
         "expires": message.expires.to_pydatetime() if message.expires is not None else None, "cap_path": str(cap_path), "html_path": str(html_path), "utility_html_path": str(utility_path),
         "sha": sha, "xml_text": xml.decode("utf-8")})


def _feed_entries(conn: Connection) -> list[FeedEntry]:
    # The newest stored bulletins, whatever hour is being issued: re-issuing an old hour
    # must not rewind the public feed.
    rows = conn.execute(text(
        """SELECT identifier, sender, sent, msg_type, level, cap_path, html_path, utility_html_path, xml_text
           FROM hazard.bulletins ORDER BY sent DESC, identifier DESC LIMIT :n"""), {"n": FEED_LIMIT}).all()
    entries = []
    for r in rows:
        # Title and summary come from the stored message itself, so the feed says what the CAP says.
        doc = etree.fromstring(r.xml_text.encode("utf-8"))
        ns = {"cap": CAP_NS}
        title = doc.findtext("cap:info/cap:headline", namespaces=ns) or r.identifier
        summary = doc.findtext("cap:info/cap:description", namespaces=ns) or ""
        entries.append(FeedEntry(r.identifier, r.sender, pd.Timestamp(r.sent), r.msg_type, r.level, title, summary,
                                 Path(r.cap_path).name, Path(r.html_path).name if r.html_path else None,
                                 Path(r.utility_html_path).name if r.utility_html_path else None))
    return entries
