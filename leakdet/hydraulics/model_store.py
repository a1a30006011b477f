"""Network models as stored in PostGIS: fetch the INP text and load it with WNTR."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import wntr
from sqlalchemy import text
from sqlalchemy.engine import Connection

from leakdet.errors import LeakdetError


@dataclass(frozen=True)
class StoredNetwork:
    id: int
    name: str
    inp_sha256: str
    inp_text: str

    def load(self) -> wntr.network.WaterNetworkModel:
        """A fresh WNTR model (callers may modify it freely)."""
        with tempfile.TemporaryDirectory(prefix="bnw-inp-") as tmp:
            path = Path(tmp) / f"{self.name}.inp"
            path.write_text(self.inp_text)
            return wntr.network.WaterNetworkModel(str(path))


def fetch_network(conn: Connection, name: str) -> StoredNetwork:
    row = conn.execute(text("SELECT id, name, inp_sha256, inp_text FROM water.networks WHERE name = :n"),
                       {"n": name}).first()
    if row is None:
        raise LeakdetError(f"network {name!r} is not imported; run `leakdet network import` first")
    return StoredNetwork(row.id, row.name, row.inp_sha256, row.inp_text)
