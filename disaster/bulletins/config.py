"""Who sends the bulletins and where they are published: environment variables with defaults.

=========================  =============================================  ==========================================
variable                   meaning                                        default
=========================  =============================================  ==========================================
``BNW_CAP_SENDER``         CAP ``sender``: unique address of the issuer  ``bulletins@bnwater.invalid``
``BNW_CAP_SENDER_NAME``    CAP ``senderName`` shown to readers           ``Brunei Water & Flood Platform (demo)``
``BNW_CAP_CONTACT``        CAP ``contact`` (phone/e-mail of the desk)    unset: no ``contact`` element
``BNW_CAP_OID``            identifier prefix (the authority's OID)       ``bnw-demo``
``BNW_CAP_WEB_BASE``       public URL of the output directory            unset: links relative to the feed
``BNW_CAP_STATUS``         CAP ``status``: Actual, Exercise, Test, ...    ``Test``
``BNW_CAP_EXPIRES_HOURS``  hours a message stays in force                ``24``
=========================  =============================================  ==========================================

The defaults mark every message as a test from a placeholder sender, so nothing produced
on a developer machine can be mistaken for a real warning; a deployment sets at least
``BNW_CAP_SENDER``, ``BNW_CAP_OID`` and ``BNW_CAP_STATUS=Actual``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from disaster.errors import DisasterError

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
# CAP 1.2 forbids spaces, commas and the restricted characters < and & in sender and identifier.
_CAP_TOKEN = re.compile(r"^[^\s,<&]+$")


class BulletinConfigError(DisasterError):
    """A bulletin setting from the environment is unusable."""


@dataclass(frozen=True)
class CapConfig:
    """Identity and publication settings of the bulletins.

    Attributes
    ----------
    sender, sender_name, contact : str
        CAP ``sender``, ``senderName`` and ``contact`` (``contact`` may be empty).
    oid : str
        Prefix of every message identifier.
    web_base : str
        Base URL the output directory is published under ('' for relative links).
    status : str
        CAP ``status`` of every message.
    expires_hours : int
        Validity of a message; a situation that lasts longer gets a refreshing Update.
    """

    sender: str
    sender_name: str
    contact: str
    oid: str
    web_base: str
    status: str
    expires_hours: int

    @classmethod
    def from_env(cls) -> "CapConfig":
        """Read the settings, raising :class:`BulletinConfigError` naming the bad variable."""
        env = os.environ.get
        cfg = cls(sender=env("BNW_CAP_SENDER", "bulletins@bnwater.invalid").strip(),
                  sender_name=env("BNW_CAP_SENDER_NAME", "Brunei Water & Flood Platform (demo)").strip(),
                  contact=env("BNW_CAP_CONTACT", "").strip(),
                  oid=env("BNW_CAP_OID", "bnw-demo").strip(),
                  web_base=env("BNW_CAP_WEB_BASE", "").strip(),
                  status=env("BNW_CAP_STATUS", "Test").strip(),
                  expires_hours=_positive_int("BNW_CAP_EXPIRES_HOURS", env("BNW_CAP_EXPIRES_HOURS", "24")))
        for name, value in (("BNW_CAP_SENDER", cfg.sender), ("BNW_CAP_OID", cfg.oid)):
            if not _CAP_TOKEN.match(value):
                raise BulletinConfigError(f"{name}={value!r}: must be non-empty without spaces, commas, '<' or '&'")
        if cfg.status not in STATUSES:
            raise BulletinConfigError(f"BNW_CAP_STATUS={cfg.status!r}: must be one of {', '.join(STATUSES)}")
        if cfg.web_base and not re.match(r"^https?://", cfg.web_base):
            raise BulletinConfigError(f"BNW_CAP_WEB_BASE={cfg.web_base!r}: must start with http:// or https://")
        return cfg

    def link(self, file_name: str) -> str:
        """The URL of a published file (relative when no web base is configured)."""
        if not self.web_base:
            return file_name
        return self.web_base.rstrip("/") + "/" + file_name


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise BulletinConfigError(f"{name}={raw!r}: must be a positive whole number of hours")
    return value
