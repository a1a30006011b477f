"""The Atom feed (RFC 4287) indexing the bulletins, newest first, built with lxml.

Each entry links to the CAP message (``alternate``, ``application/cap+xml``) and to its
HTML bulletins (``related``). Entry ids are name-based UUIDs of sender and identifier, so
they never change when a bulletin is re-issued; ``updated`` is the CAP ``sent`` time.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import pandas as pd
from lxml import etree

from disaster.bulletins.config import CapConfig
from disaster.bulletins.situations import cap_time
from disaster.bulletins.text import xml_safe

ATOM_NS = "http://www.w3.org/2005/Atom"
_Q = f"{{{ATOM_NS}}}"
FEED_FILE = "bulletins.atom"


@dataclass(frozen=True)
class FeedEntry:
    """What the feed says of one stored bulletin."""

    identifier: str
    sender: str
    sent: pd.Timestamp
    msg_type: str
    level: str
    title: str
    summary: str
    cap_file: str
    html_file: str | None
    utility_html_file: str | None


def atom_id(*parts: str) -> str:
    """A stable ``urn:uuid:`` id for the feed or an entry."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "bnw-cap:" + "|".join(parts)).urn


def _add(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    node = etree.SubElement(parent, _Q + tag, {k: xml_safe(v) for k, v in attrs.items()})
    if text is not None:
        node.text = xml_safe(text)
    return node


def build_feed(entries: list[FeedEntry], cfg: CapConfig, updated: pd.Timestamp) -> bytes:
    """Serialise the feed.

    Parameters
    ----------
    entries : list of FeedEntry
        Bulletins to list; sorted newest first here.
    cfg : CapConfig
        Sender identity and link base.
    updated : pandas.Timestamp
        The feed's ``updated`` time (the newest entry's, so re-issuing gives the same bytes).

    Returns
    -------
    bytes
        UTF-8 XML with declaration.
    """
    feed = etree.Element(_Q + "feed", nsmap={None: ATOM_NS})
    _add(feed, "id", atom_id(cfg.sender, "feed"))
    _add(feed, "title", f"{cfg.sender_name}: flood bulletins")
    _add(feed, "updated", cap_time(updated))
    _add(feed, "link", rel="self", type="application/atom+xml", href=cfg.link(FEED_FILE))
    author = _add(feed, "author")
    _add(author, "name", cfg.sender_name)
    if "@" in cfg.contact and " " not in cfg.contact:     # atom:email must be an address, nothing else
        _add(author, "email", cfg.contact)
    for entry in sorted(entries, key=lambda e: (e.sent, e.identifier), reverse=True):
        node = _add(feed, "entry")
        _add(node, "id", atom_id(entry.sender, entry.identifier))
        _add(node, "title", entry.title)
        _add(node, "updated", cap_time(entry.sent))
        _add(node, "published", cap_time(entry.sent))
        _add(node, "category", term=entry.msg_type, label=f"{entry.msg_type} ({entry.level})")
        _add(node, "summary", entry.summary)
        _add(node, "link", rel="alternate", type="application/cap+xml", href=cfg.link(entry.cap_file))
        if entry.html_file:
            _add(node, "link", rel="related", type="text/html", title="Bulletin", href=cfg.link(entry.html_file))
        if entry.utility_html_file:
            _add(node, "link", rel="related", type="text/html", title="Water utility bulletin",
                 href=cfg.link(entry.utility_html_file))
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)
