"""Text from users and data made safe for XML 1.0 (and therefore for HTML too).

lxml and Jinja2 escape markup characters; what they cannot do is carry characters that
XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE/U+FFFF): lxml refuses them
outright. Every string that goes into a bulletin passes through :func:`xml_safe` first.
"""
from __future__ import annotations

import re

_ILLEGAL_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(value) -> str:
    """``value`` as text without the characters XML 1.0 does not allow.

    Parameters
    ----------
    value : object
        Anything; ``None`` becomes an empty string.

    Returns
    -------
    str
        The text with illegal characters removed and surrounding whitespace stripped.
    """
    if value is None:
        return ""
    return _ILLEGAL_XML.sub("", str(value)).strip()
