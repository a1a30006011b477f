"""Distances along the pipe network between pipe midpoints (metres), as BattLeDIM scores localization."""
from __future__ import annotations

import networkx as nx
import wntr


class PipeDistance:
    """Shortest distance along the network between the midpoints of two links.

    From the midpoint of ``a`` one walks half of ``a`` to either end node, along the
    network (pipe lengths; pumps and valves count as 0 m), and half of ``b`` to its midpoint.
    """

    def __init__(self, wn: wntr.network.WaterNetworkModel):
        self.graph = nx.Graph()
        self.ends, self.half = {}, {}
        for name, link in wn.links():
            length = float(getattr(link, "length", 0.0) or 0.0)
            u, v = link.start_node_name, link.end_node_name
            self.ends[name], self.half[name] = (u, v), length / 2
            if not self.graph.has_edge(u, v) or self.graph[u][v]["w"] > length:
                self.graph.add_edge(u, v, w=length)
        self._cache: dict[str, tuple[dict, dict]] = {}

    def _from(self, link: str):
        if link not in self._cache:
            u, v = self.ends[link]
            self._cache[link] = (nx.single_source_dijkstra_path_length(self.graph, u, weight="w"),
                                 nx.single_source_dijkstra_path_length(self.graph, v, weight="w"))
        return self._cache[link]

    def __call__(self, a: str, b: str) -> float:
        if a == b:
            return 0.0
        if a not in self.ends or b not in self.ends:
            return float("inf")
        du, dv = self._from(a)
        x, y = self.ends[b]
        inf = float("inf")
        best = min(du.get(x, inf), du.get(y, inf), dv.get(x, inf), dv.get(y, inf))
        return self.half[a] + best + self.half[b]
