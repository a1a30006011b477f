"""The network's operating state at an hour: which pumps and valves run, which tanks are full or empty.

A leak's pressure signature depends on where its water comes from. A tank that is full is
closed to inflow (as an altitude valve would close it), a pump that is off carries no flow,
and a closed valve cuts a main, so the same leak drains different sources, and lowers
pressure at different loggers, in different states. The nominal model only knows its
initial tank levels and control rules, which need not be what the network is doing: on the
demonstration network two tanks sit full all week while the model starts them 6 m lower,
and the night-time signature of a leak computed in the model's state pointed 2.5 km away
from the leak (cosine 0.62 with the observed drop; 0.999 in the observed state).

The state is read from the day's simulation under measured boundary conditions (what the
residuals compare with) and applied to a snapshot model by :meth:`OperatingState.apply`.
It is deliberately coarse: link statuses, and each tank full, empty or in between. Those
change which sources feed a leak; a tank's exact level between its limits only shifts
heads, and changing matrices with it made results on the L-Town year move by chance
(the matched filter compares nights computed with different matrices). A coarse state also
keeps the number of matrices to compute and cache small.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import wntr
from wntr.network.base import LinkStatus

LIMIT_MARGIN_M = 0.05     # a level this close to the tank's minimum or maximum counts as at the limit
FULL, EMPTY, BETWEEN = "full", "empty", "between"
OPEN, CLOSED, ACTIVE = "open", "closed", "active"
_STATUS = {OPEN: LinkStatus.Open, CLOSED: LinkStatus.Closed, ACTIVE: LinkStatus.Active}


@dataclass(frozen=True)
class OperatingState:
    """Parameters
    ----------
    links : tuple of (str, str)
        Each pump and valve of the model and its status: ``open``, ``closed`` or (a valve
        regulating at its setting) ``active``.
    tanks : tuple of (str, str)
        Each tank and whether it is ``full``, ``empty`` or ``between``.
    """

    links: tuple[tuple[str, str], ...] = ()
    tanks: tuple[tuple[str, str], ...] = ()

    def key(self) -> str:
        """A short stable digest, for cache keys ('' for a network with neither pumps, valves nor tanks)."""
        if not self.links and not self.tanks:
            return ""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]

    def to_dict(self) -> dict:
        return {"links": dict(self.links), "tanks": dict(self.tanks)}

    @classmethod
    def from_dict(cls, data: dict) -> "OperatingState":
        return cls(tuple(sorted(data.get("links", {}).items())), tuple(sorted(data.get("tanks", {}).items())))

    def apply(self, wn: wntr.network.WaterNetworkModel) -> None:
        """Put ``wn`` in this state, in place.

        Control rules are removed (a snapshot in a given state must not switch); pumps and
        valves get their status (an active valve regulates at its own setting); a full or
        empty tank is set to its limit, one in between keeps the model's initial level (or
        the middle of its range when the model starts it at a limit). Elements the state
        does not name keep the model's own values.
        """
        for name in list(wn.control_name_list):
            wn.remove_control(name)
        links = set(wn.pump_name_list) | set(wn.valve_name_list)
        for name, status in self.links:
            if name in links:
                if status == ACTIVE and name not in wn.valve_name_list:
                    status = OPEN
                wn.get_link(name).initial_status = _STATUS[status]
        tanks = set(wn.tank_name_list)
        for name, where in self.tanks:
            if name in tanks:
                tank = wn.get_node(name)
                low, high = float(tank.min_level), float(tank.max_level)
                if where == FULL:
                    tank.init_level = high
                elif where == EMPTY:
                    tank.init_level = low
                elif not low + LIMIT_MARGIN_M < float(tank.init_level) < high - LIMIT_MARGIN_M:
                    tank.init_level = (low + high) / 2


@dataclass(frozen=True)
class StateElements:
    """What a state is read for: the nominal model's pumps, valves (name -> is a valve) and
    tanks (name -> bottom elevation, minimum and maximum level, m). Taken before boundary
    conditions turn tanks into fixed-head nodes."""

    links: dict
    tanks: dict

    @classmethod
    def of(cls, wn: wntr.network.WaterNetworkModel) -> "StateElements":
        links = {**{p: False for p in wn.pump_name_list}, **{v: True for v in wn.valve_name_list}}
        tanks = {n: (float(t.elevation), float(t.min_level), float(t.max_level)) for n, t in wn.tanks()}
        return cls(links, tanks)


def _tank_position(level: float, low: float, high: float) -> str:
    if level >= high - LIMIT_MARGIN_M:
        return FULL
    if level <= low + LIMIT_MARGIN_M:
        return EMPTY
    return BETWEEN


def operating_state(results, elements: StateElements, seconds: float) -> OperatingState:
    """The state at model time ``seconds`` of a simulation (wntr results) of a model with
    ``elements`` (tanks turned into fixed-head nodes still report their head under their name).

    EPANET reports a link's status as 0 (closed), 1 (open) or 2 (a valve active, regulating).
    """
    status = results.link["status"]
    heads = results.node["head"]
    at = status.index[np.abs(status.index.to_numpy() - seconds).argmin()]
    links = []
    for name, is_valve in sorted(elements.links.items()):
        if name in status.columns:
            code = int(round(float(status.at[at, name])))
            links.append((name, CLOSED if code == 0 else ACTIVE if code == 2 and is_valve else OPEN))
    tanks = []
    for name, (bottom, low, high) in sorted(elements.tanks.items()):
        if name in heads.columns:
            tanks.append((name, _tank_position(float(heads.at[at, name]) - bottom, low, high)))
    return OperatingState(tuple(links), tuple(tanks))


def read_state(path) -> OperatingState | None:
    """The state stored by the residual step (None when the file does not exist, e.g. days run
    before states were recorded)."""
    try:
        with open(path) as fh:
            return OperatingState.from_dict(json.load(fh))
    except FileNotFoundError:
        return None


def write_state(path, state: OperatingState) -> None:
    with open(path, "w") as fh:
        json.dump(state.to_dict(), fh, sort_keys=True)
