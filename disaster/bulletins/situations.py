"""The lifecycle: which CAP message, if any, each situation needs for one hour.

A situation is the flood risk of one region (a district): the areas of the bulletin level
(mukims by default) of that district at yellow or above. For each hour:

- no open situation and some area at yellow+  → ``Alert`` (opens the situation);
- open situation, the areas or any area's level changed → ``Update``;
- open situation, unchanged, but its last message expires within the hour → ``Update``
  (a warning in force must never silently lapse);
- open situation and every area back at green → ``Cancel`` (the risk engine's hold-down
  has already kept each area at its level for the calm hours).

Every Update and Cancel references all earlier messages of its situation. An area with no
score for the hour keeps its previous level: missing data never cancels a warning.
This module decides only; it reads and writes nothing.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from functools import cached_property

import pandas as pd

from disaster.areas.store import slug
from disaster.bulletins.polygons import cap_polygons
from disaster.bulletins.wording import WARNING_LEVELS
from disaster.risk.levels import LEVELS

LOCAL_TZ = "Asia/Brunei"


@dataclass(frozen=True)
class AreaRisk:
    """One area's risk for the hour, with what a bulletin shows of it."""

    area_id: int
    code: str
    name: str
    district: str
    district_code: str
    level: str | None               # None when the area has no score for the hour
    drivers: str = ""
    rain_1h_mm: float | None = None
    rain_3h_mm: float | None = None
    rain_24h_mm: float | None = None
    is_approximation: bool = False
    geom: object = None             # shapely geometry, EPSG:4326

    @cached_property
    def polygons(self) -> list[str]:
        """The CAP polygons of the area (computed once: the CAP file and both maps use them)."""
        return cap_polygons(self.geom)


@dataclass(frozen=True)
class PastMessage:
    """A message already stored in ``hazard.bulletins``."""

    identifier: str
    sender: str
    sent: pd.Timestamp
    msg_type: str
    group_key: str
    situation_id: str
    area_levels: dict[int, str]
    expires: pd.Timestamp | None


@dataclass
class Message:
    """A message to issue: its place in the lifecycle and the areas it covers."""

    group_key: str
    region: str
    msg_type: str
    identifier: str
    sent: pd.Timestamp
    expires: pd.Timestamp | None
    situation_id: str
    references: list[PastMessage]
    areas: list[AreaRisk]     # the areas the message is about, highest level first (all green in a Cancel)
    no_longer: list[str] = field(default_factory=list)  # names of areas that left the situation

    @property
    def level(self) -> str:
        """The highest level of the areas (green for a Cancel)."""
        return max((a.level for a in self.areas), key=LEVELS.index)

    @property
    def area_levels(self) -> dict[int, str]:
        return {a.area_id: a.level for a in self.areas}


def group_key(area: AreaRisk) -> str:
    """The situation's region key of an area, e.g. ``flood:brunei-muara``."""
    region = area.district or area.name
    # A name with no Latin letters or digits (e.g. in Jawi) has an empty slug: key it by a digest instead.
    return f"flood:{slug(region) or 'region-' + hashlib.sha1(region.encode()).hexdigest()[:10]}"


def cap_time(ts: pd.Timestamp) -> str:
    """A CAP 1.2 dateTime: local time with an explicit offset, e.g. ``2025-01-10T14:00:00+08:00``."""
    return pd.Timestamp(ts).tz_convert(LOCAL_TZ).isoformat(timespec="seconds")


def reference_list(messages: list[PastMessage]) -> str:
    """CAP ``references``: "sender,identifier,sent" of each message, space separated."""
    return " ".join(f"{m.sender},{m.identifier},{cap_time(m.sent)}" for m in messages)


def plan_messages(areas: list[AreaRisk], history: list[PastMessage], hour_end: pd.Timestamp,
                  oid: str, expires_hours: int) -> list[Message]:
    """The messages the hour ending at ``hour_end`` calls for, one at most per region.

    Parameters
    ----------
    areas : list of AreaRisk
        Every area of the bulletin level with its level for the hour (None if unscored).
    history : list of PastMessage
        Messages sent before ``hour_end``, oldest first.
    hour_end : pandas.Timestamp
        The hour (tz-aware) the messages are sent for.
    oid : str
        Identifier prefix.
    expires_hours : int
        Validity of Alerts and Updates.

    Returns
    -------
    list of Message
        Sorted by region key.
    """
    by_group: dict[str, list[AreaRisk]] = {}
    for area in areas:
        by_group.setdefault(group_key(area), []).append(area)
    chains: dict[str, list[PastMessage]] = {}
    for past in history:
        chain = chains.setdefault(past.group_key, [])
        if past.msg_type == "Alert" or (chain and chain[-1].msg_type == "Cancel"):
            chain.clear()
        chain.append(past)
    expires = hour_end + pd.Timedelta(hours=expires_hours)
    out = []
    for key in sorted(set(by_group) | {k for k, c in chains.items() if c[-1].msg_type != "Cancel"}):
        members = {a.area_id: a for a in by_group.get(key, [])}
        chain = chains.get(key, [])
        chain = [] if not chain or chain[-1].msg_type == "Cancel" else chain
        previous = chain[-1].area_levels if chain else {}
        now = {}
        for area_id, area in members.items():
            level = area.level if area.level is not None else previous.get(area_id)
            if level in WARNING_LEVELS:
                now[area_id] = level
        region = _region_name(members.values(), key)
        identifier = f"{oid}.{key.replace(':', '.')}.{hour_end.tz_convert(LOCAL_TZ):%Y%m%d%H%M}"

        def message(msg_type: str, covered: dict[int, str], situation: str, refs: list[PastMessage]) -> Message:
            shown = [_with_level(members.get(i), i, lvl) for i, lvl in covered.items()]
            shown.sort(key=lambda a: (-LEVELS.index(a.level or "green"), a.name))
            gone = sorted(members[i].name for i in previous if i not in covered and i in members)
            return Message(group_key=key, region=region, msg_type=msg_type, identifier=identifier, sent=hour_end,
                           expires=None if msg_type == "Cancel" else expires, situation_id=situation,
                           references=refs, areas=shown, no_longer=gone if msg_type == "Update" else [])

        if not chain:
            if now:
                out.append(message("Alert", now, identifier, []))
        elif not now:
            out.append(message("Cancel", dict.fromkeys(previous, "green"), chain[0].situation_id, chain))
        elif now != previous or (chain[-1].expires is not None
                                 and hour_end >= chain[-1].expires - pd.Timedelta(hours=1)):
            out.append(message("Update", now, chain[0].situation_id, chain))
    return out


def _with_level(area: AreaRisk | None, area_id: int, level: str) -> AreaRisk:
    if area is None:      # an area that has since disappeared from the area table
        return AreaRisk(area_id, f"area:{area_id}", f"area {area_id}", "", "", level)
    if area.level == level:
        return area
    return replace(area, level=level)


def _region_name(members, key: str) -> str:
    districts = sorted({a.district for a in members if a.district})
    return districts[0] if districts else key.split(":", 1)[-1]
