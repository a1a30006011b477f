"""Report maps must render with no network access."""
import folium

from platform_core.offline_map import OfflineMap, external_references, save_offline


def test_offline_map_inlines_leaflet_and_refuses_cdn(tmp_path):
    fmap = OfflineMap(location=[4.9, 114.9], zoom_start=11)
    folium.CircleMarker([4.9, 114.9], radius=5, tooltip="gauge <b>", popup=folium.Popup("x")).add_to(fmap)
    folium.LayerControl().add_to(fmap)
    html = save_offline(fmap, tmp_path / "m.html").read_text()
    assert external_references(html) == []
    assert "L.map(" in html and "Leaflet" in html and "window.$" in html

    cdn = folium.Map(location=[4.9, 114.9])
    try:
        save_offline(cdn, tmp_path / "cdn.html")
    except ValueError as exc:
        assert "external resources" in str(exc)
    else:
        raise AssertionError("a CDN map was written")
    assert not (tmp_path / "cdn.html").exists()
