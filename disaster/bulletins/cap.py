"""The CAP 1.2 XML of one message, built element by element with lxml.

One ``info`` block per language (``en``, ``ms``) and level present, highest level first, so
a receiver that shows only the first block shows the worst of the situation. Each area
carries its simplified polygon(s) and two geocodes: ``BN-MUKIM`` (or ``BN-KAMPONG`` /
``BN-DISTRICT``, the area's own level) with the area code, and ``BN-DISTRICT`` with the
district's code. A Cancel has one ``info`` block per language, level green, response
``AllClear``, listing the areas the situation covered.
"""
from __future__ import annotations

from lxml import etree

from disaster.bulletins import wording
from disaster.bulletins.config import CapConfig
from disaster.bulletins.situations import AreaRisk, Message, cap_time, reference_list
from disaster.bulletins.text import xml_safe
from disaster.risk.levels import LEVELS

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
_Q = f"{{{CAP_NS}}}"


def _add(parent: etree._Element, tag: str, value=None) -> etree._Element:
    node = etree.SubElement(parent, _Q + tag)
    if value is not None:
        node.text = xml_safe(value)
    return node


def _geocode_name(area: AreaRisk) -> str:
    level = area.code.split(":", 1)[0] if ":" in area.code else "area"
    return f"BN-{level.upper()}"


def _description(lang: str, message: Message, areas: list[AreaRisk], level: str) -> str:
    lines = [wording.CANCEL_DESCRIPTION[lang] if message.msg_type == "Cancel" else wording.LEAD[lang][level]]
    for area in areas:
        if lang == "en":
            reason = area.drivers or wording.rain_words(lang, area.rain_1h_mm, area.rain_3h_mm, area.rain_24h_mm)
        else:   # the engine's drivers are English; Malay readers get the rain in Malay from the numbers
            reason = wording.rain_words(lang, area.rain_1h_mm, area.rain_3h_mm, area.rain_24h_mm)
        lines.append(f"{area.name}: {reason}.")
    if message.no_longer:
        lines.append(wording.NO_LONGER[lang].format(areas=", ".join(message.no_longer)))
    if any(a.is_approximation for a in areas):
        lines.append(wording.APPROXIMATE[lang])
    return "\n".join(lines)


def _info(alert, cfg: CapConfig, message: Message, lang: str, level: str, areas: list[AreaRisk], web: str) -> None:
    codes = wording.CAP_CODES[level]
    info = _add(alert, "info")
    _add(info, "language", lang)
    _add(info, "category", "Met")
    _add(info, "event", wording.EVENT[lang])
    _add(info, "responseType", codes.response)
    _add(info, "urgency", codes.urgency)
    _add(info, "severity", codes.severity)
    _add(info, "certainty", codes.certainty)
    _add(info, "effective", cap_time(message.sent))
    if message.expires is not None:
        _add(info, "expires", cap_time(message.expires))
    _add(info, "senderName", cfg.sender_name)
    template = wording.CANCEL_HEADLINE if message.msg_type == "Cancel" else wording.HEADLINE
    _add(info, "headline", template[lang].format(level=wording.LEVEL_NAMES[lang][level], region=message.region))
    _add(info, "description", _description(lang, message, areas, level))
    _add(info, "instruction", wording.INSTRUCTION[lang][level])
    _add(info, "web", web)
    if cfg.contact:
        _add(info, "contact", cfg.contact)
    for name, value in (("BNW-RISK-LEVEL", level), ("BNW-SITUATION", message.situation_id)):
        parameter = _add(info, "parameter")
        _add(parameter, "valueName", name)
        _add(parameter, "value", value)
    for area in areas:
        node = _add(info, "area")
        _add(node, "areaDesc", area.name)
        for polygon in area.polygons:
            _add(node, "polygon", polygon)
        for value_name, value in ((_geocode_name(area), area.code), ("BN-DISTRICT", area.district_code)):
            if value and not (value_name == "BN-DISTRICT" and value == area.code):
                geocode = _add(node, "geocode")
                _add(geocode, "valueName", value_name)
                _add(geocode, "value", value)


def build_alert(message: Message, cfg: CapConfig, web: str) -> bytes:
    """Serialise ``message`` as a CAP 1.2 ``alert`` document.

    Parameters
    ----------
    message : Message
        What to say, from :func:`~disaster.bulletins.situations.plan_messages`.
    cfg : CapConfig
        Sender identity and status.
    web : str
        URL of the HTML bulletin of this message.

    Returns
    -------
    bytes
        UTF-8 XML with declaration, deterministic for the same inputs.
    """
    alert = etree.Element(_Q + "alert", nsmap={None: CAP_NS})
    _add(alert, "identifier", message.identifier)
    _add(alert, "sender", cfg.sender)
    _add(alert, "sent", cap_time(message.sent))
    _add(alert, "status", cfg.status)
    _add(alert, "msgType", message.msg_type)
    _add(alert, "scope", "Public")
    if cfg.status != "Actual":
        _add(alert, "note", f"{cfg.status} message: not a real warning.")
    if message.references:
        _add(alert, "references", reference_list(message.references))
    _add(alert, "incidents", message.situation_id)
    levels = sorted({a.level for a in message.areas}, key=LEVELS.index, reverse=True)
    for lang in wording.LANGUAGES:
        for level in levels:
            _info(alert, cfg, message, lang, level, [a for a in message.areas if a.level == level], web)
    return etree.tostring(alert, xml_declaration=True, encoding="UTF-8", pretty_print=True)
