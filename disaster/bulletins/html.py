"""The HTML bulletins: one for the public and officers, one for the water utility, each with an offline map.

Text goes through Jinja2 with autoescaping and map labels through :func:`html.escape`,
so names and reasons from data can never become markup. The page is a
:class:`platform_core.offline_map.OfflineMap` document (Leaflet inlined) with the bulletin
above the map, and :func:`platform_core.offline_map.save_offline` refuses to write it if
anything would be fetched from the internet.
"""
from __future__ import annotations

import html as html_lib
from pathlib import Path

import folium
from branca.element import Element
from jinja2 import Environment

from disaster.bulletins import wording
from disaster.bulletins.config import CapConfig
from disaster.bulletins.polygons import parse_cap_polygon
from disaster.bulletins.situations import LOCAL_TZ, Message
from disaster.bulletins.text import xml_safe
from disaster.report.risk_map import COLOURS
from platform_core.offline_map import OfflineMap, save_offline

_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_ENV.filters["safe_text"] = xml_safe

_PAGE = _ENV.from_string("""
<div class="bulletin" style="font:14px/1.4 sans-serif;max-width:960px;margin:12px auto;padding:0 12px">
{% if status != "Actual" %}
<p style="background:#333;color:#fff;padding:6px 10px"><b>{{ status | upper }}</b> — not a real warning.</p>
{% endif %}
<h1 style="border-left:14px solid {{ colour }};padding-left:10px;margin:8px 0">
  {{ headline_en | safe_text }}<br><small lang="ms">{{ headline_ms | safe_text }}</small></h1>
<p>{{ msg_type }}{% if audience %} · {{ audience }}{% endif %} · sent {{ sent }}{% if expires %} · in force until {{ expires }}{% endif %}
 · <a href="{{ cap_link }}">CAP message</a> · identifier <code>{{ identifier | safe_text }}</code></p>
{% if references %}<p>Replaces / menggantikan: {% for r in references %}<code>{{ r | safe_text }}</code> {% endfor %}</p>{% endif %}
<table style="border-collapse:collapse;width:100%">
<tr style="text-align:left;border-bottom:1px solid #999"><th>Area / Kawasan</th><th>Level / Tahap</th><th>Why</th></tr>
{% for a in areas %}
<tr style="border-bottom:1px solid #ddd"><td>{{ a.name | safe_text }}</td>
 <td><span style="background:{{ a.colour }};padding:0 6px">{{ a.level_en }} / {{ a.level_ms }}</span></td>
 <td>{{ a.drivers | safe_text }}</td></tr>
{% endfor %}
</table>
{% if no_longer %}<p>No longer at risk / tidak lagi berisiko: {{ no_longer | join(", ") | safe_text }}</p>{% endif %}
<div style="display:flex;gap:24px;flex-wrap:wrap">
 <div style="flex:1;min-width:280px" lang="en"><h3>What to do</h3><p>{{ instruction_en }}</p></div>
 <div style="flex:1;min-width:280px" lang="ms"><h3>Apa yang perlu dilakukan</h3><p>{{ instruction_ms }}</p></div>
</div>
{% if assets is not none %}
<h2>Water network assets and open leaks in orange and red areas</h2>
{% if assets %}
<table style="border-collapse:collapse;width:100%">
<tr style="text-align:left;border-bottom:1px solid #999"><th>Kind</th><th>Network</th><th>Asset</th><th>Detail</th><th>Area</th><th>Level</th></tr>
{% for s in assets %}
<tr style="border-bottom:1px solid #ddd"><td>{{ s.asset_kind }}</td><td>{{ s.network_name | safe_text }}</td>
 <td>{{ s.asset_id | safe_text }}</td><td>{{ s.detail | safe_text }}</td><td>{{ s.area_name | safe_text }}</td>
 <td>{{ s.risk_level }}</td></tr>
{% endfor %}
</table>
{% else %}
<p>No tanks, reservoirs, pumps or open leak events lie in orange or red areas of this bulletin.</p>
{% endif %}
{% endif %}
{% if approximate %}<p><i>{{ approximate_note }}</i></p>{% endif %}
<p style="color:#555">{{ sender_name | safe_text }}{% if contact %} · {{ contact | safe_text }}{% endif %}</p>
</div>
""")


def render_bulletin(message: Message, cfg: CapConfig, out: str | Path, cap_link: str,
                    assets: list[dict] | None = None) -> Path:
    """Write the HTML bulletin of ``message`` to ``out``.

    Parameters
    ----------
    message : Message
        The message, as written to CAP.
    cfg : CapConfig
        Sender identity and status.
    out : path
        The HTML file to write.
    cap_link : str
        Link to the CAP file.
    assets : list of dict, optional
        Rows of ``hazard.water_assets_at_risk_at`` for the utility bulletin; ``None`` for the
        public bulletin.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    level = message.level
    template = wording.CANCEL_HEADLINE if message.msg_type == "Cancel" else wording.HEADLINE
    headline = {lang: template[lang].format(level=wording.LEVEL_NAMES[lang][level], region=message.region)
                for lang in wording.LANGUAGES}
    local = lambda ts: f"{ts.tz_convert(LOCAL_TZ):%Y-%m-%d %H:%M} BNT"  # noqa: E731
    content = _PAGE.render(
        status=cfg.status, colour=COLOURS[level], headline_en=headline["en"], headline_ms=headline["ms"],
        msg_type=message.msg_type, audience="Water utility" if assets is not None else "",
        sent=local(message.sent), expires=local(message.expires) if message.expires is not None else "",
        cap_link=cap_link, identifier=message.identifier,
        references=[m.identifier for m in message.references],
        areas=[{"name": a.name, "colour": COLOURS[a.level], "level_en": wording.LEVEL_NAMES["en"][a.level],
                "level_ms": wording.LEVEL_NAMES["ms"][a.level],
                "drivers": a.drivers or wording.rain_words("en", a.rain_1h_mm, a.rain_3h_mm, a.rain_24h_mm)}
               for a in message.areas],
        no_longer=message.no_longer, instruction_en=wording.INSTRUCTION["en"][level],
        instruction_ms=wording.INSTRUCTION["ms"][level], assets=assets,
        approximate=any(a.is_approximation for a in message.areas), approximate_note=wording.APPROXIMATE["en"],
        sender_name=cfg.sender_name, contact=cfg.contact)
    fmap = _map(message, assets or [])
    fmap.get_root().html.add_child(Element(content), name="bulletin", index=0)
    fmap.get_root().title = html_lib.escape(xml_safe(headline["en"]))
    _stable_ids(fmap.get_root())
    return save_offline(fmap, out)


def _stable_ids(root) -> None:
    # folium names every element with a random id; numbering them in document order makes a
    # re-issued bulletin byte-identical to the first one.
    seen, stack, n = set(), [root], 0
    while stack:
        element = stack.pop(0)
        if id(element) in seen:
            continue
        seen.add(id(element))
        if hasattr(element, "_id"):
            element._id = f"{n:08x}"
            n += 1
        stack.extend(getattr(element, "_children", {}).values())


def _map(message: Message, assets: list[dict]) -> OfflineMap:
    features = []
    for area in message.areas:
        for ring in area.polygons:
            features.append({"type": "Feature", "geometry": parse_cap_polygon(ring).__geo_interface__,
                             "properties": {"name": html_lib.escape(xml_safe(area.name)), "level": area.level}})
    fmap = OfflineMap(location=[4.6, 114.7], zoom_start=9, height="420px")
    if features:
        layer = folium.GeoJson({"type": "FeatureCollection", "features": features}, name="Areas",
                               style_function=lambda f: {"fillColor": COLOURS[f["properties"]["level"]],
                                                         "color": "#333", "weight": 1, "fillOpacity": 0.6},
                               tooltip=folium.GeoJsonTooltip(["name", "level"], aliases=["Area", "Level"]))
        layer.add_to(fmap)
        fmap.fit_bounds(_bounds(features))
    for asset in assets:
        tip = html_lib.escape(xml_safe(f"{asset['asset_kind']} {asset['asset_id']} ({asset['network_name']}): "
                                       f"{asset['detail']}"))
        folium.CircleMarker([asset["lat"], asset["lon"]], radius=6, color="#08306b", weight=1, fill=True,
                            fill_color="#6a3d9a" if asset["asset_kind"] == "leak_event" else "#2171b5",
                            fill_opacity=0.9, tooltip=tip).add_to(fmap)
    return fmap


def _bounds(features: list[dict]) -> list[list[float]]:
    lons = [x for f in features for x, _ in f["geometry"]["coordinates"][0]]
    lats = [y for f in features for _, y in f["geometry"]["coordinates"][0]]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]
