"""Folium maps that render with no network: Leaflet is inlined, no CDN, no tile server.

Utility and disaster-centre networks are often offline, so every report map is
built on :class:`OfflineMap` and written with :func:`save_offline`, which refuses
to write a page that would still fetch anything from the internet.
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

import folium
from branca.element import Element

_EXTERNAL = re.compile(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


@lru_cache(maxsize=1)
def _leaflet_assets() -> tuple[str, str]:
    # Leaflet 1.9.4 as shipped by the django-js-lib-leaflet wheel (no Django needed).
    root = resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
    return (root / "leaflet.js").read_text(encoding="utf-8"), (root / "leaflet.css").read_text(encoding="utf-8")


class OfflineMap(folium.Map):
    """A ``folium.Map`` with Leaflet inlined and no default CDN assets or tiles."""

    default_js: list = []
    default_css: list = []

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("tiles", None)
        super().__init__(*args, **kwargs)
        js, css = _leaflet_assets()
        # Embedded as the first header children so that everything else can use L.*
        self.get_root().header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline", index=0)
        self.get_root().header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline", index=1)
        self.get_root().header.add_child(
            Element("<style>.leaflet-container{background:#eef3f7}</style>"), name="offline_bg")
        # folium's popups call jQuery as $(`<div>...</div>`)[0]; this stand-in parses the HTML
        # string into elements the same way, so popups work without loading jQuery.
        self.get_root().header.add_child(Element(
            "<script>window.$ = window.$ || function (h) { if (typeof h === 'string') {"
            " var t = document.createElement('template'); t.innerHTML = h.trim(); return t.content.children; }"
            " return { ready: function (f) { document.addEventListener('DOMContentLoaded', f); } }; };</script>"),
            name="popup_html_shim", index=2)


def external_references(html: str) -> list[str]:
    """Tags in ``html`` that would load something over the network."""
    return [m.group(0) for m in _EXTERNAL.finditer(html)]


def save_offline(fmap: folium.Map, path: str | Path) -> Path:
    """Render ``fmap`` to ``path``; raise if the page would need the internet."""
    html = fmap.get_root().render()
    bad = external_references(html)
    if bad:
        raise ValueError(f"map {path} would load external resources: {bad[:3]}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
