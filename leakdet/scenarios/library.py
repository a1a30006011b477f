"""Scenario libraries: which leaks to simulate for training a localizer, and running them.

A library covers every pipe (leak at its midpoint) at several leak sizes and hours of the
day, each on several perturbed copies of the model, so that a localizer trained on it has
seen the kind of model error it will meet in the field rather than the nominal model only.
"""
from __future__ import annotations

import itertools

import pandas as pd
import wntr

from leakdet.scenarios.engine import Perturbation, ScenarioBatch, run_scenarios, split_batches


def leak_scenarios(pipes: list[str], sizes_lps=(1.0, 2.5, 6.0), hours=(3, 14), nodes: list[str] = ()) -> pd.DataFrame:
    """Every combination of location, size (L/s) and local hour: the scenario table of a batch."""
    rows = [("pipe", p, s, h) for p, s, h in itertools.product(pipes, sizes_lps, hours)]
    rows += [("node", n, s, h) for n, s, h in itertools.product(nodes, sizes_lps, hours)]
    frame = pd.DataFrame(rows, columns=["kind", "element", "size_lps", "hour"])
    frame.insert(0, "scenario_id", range(len(frame)))
    return frame


def library_batches(inp_text: str, sensor_nodes: dict, scenarios: pd.DataFrame, n_models: int = 2,
                    roughness_sigma: float = 0.05, demand_sigma: float = 0.05, batch_size: int = 600,
                    demand_compensated: bool = True, seed: int = 0) -> list[ScenarioBatch]:
    """The batches of a library: ``scenarios`` on ``n_models`` perturbed models.

    Model 0 is the nominal model; models 1.. are perturbed (lognormal sigmas on roughness
    and base demand). Scenario ids are made unique across models (``model * len + id``).
    """
    batches = []
    for m in range(n_models):
        scen = scenarios.assign(scenario_id=scenarios["scenario_id"] + m * len(scenarios), model=m)
        pert = Perturbation(roughness_sigma if m else 0.0, demand_sigma if m else 0.0, seed + m)
        batches += split_batches(ScenarioBatch(inp_text, sensor_nodes, scen, demand_compensated, pert), batch_size)
    return batches


def plan_library(inp_text: str, sensor_nodes: dict, pipes: list[str] | None = None, **options) -> list[ScenarioBatch]:
    """The batches of a library over every pipe (or ``pipes``), without running them.

    Options: ``sizes_lps``, ``hours`` (the scenario table) and those of :func:`library_batches`.
    Deterministic: the same arguments give the same batches, so a batch can be named by its
    index and rebuilt where it runs (an Airflow mapped task on another worker).
    """
    options = dict(options)
    sizes = options.pop("sizes_lps", (1.0, 2.5, 6.0))
    hours = options.pop("hours", (3, 14))
    if pipes is None:
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory(prefix="bnw-lib-") as tmp:
            (Path(tmp) / "m.inp").write_text(inp_text)
            pipes = list(wntr.network.WaterNetworkModel(str(Path(tmp) / "m.inp")).pipe_name_list)
    return library_batches(inp_text, sensor_nodes, leak_scenarios(pipes, sizes, hours), **options)


def batch_frame(batch: ScenarioBatch, drops: pd.DataFrame) -> pd.DataFrame:
    """A batch's scenario rows joined with their simulated drops (the library's row format)."""
    return batch.scenarios.set_index("scenario_id").join(drops, how="inner")


def build_library(inp_text: str, sensor_nodes: dict, pipes: list[str] | None = None, workers: int = 2,
                  **options) -> pd.DataFrame:
    """Simulate a scenario library over every pipe (or ``pipes``) on a local process pool.

    Returns
    -------
    DataFrame
        One row per scenario: ``kind``, ``element``, ``size_lps``, ``hour``, ``model``,
        ``leak_lps`` and the pressure drop (m) at every sensor.
    """
    batches = plan_library(inp_text, sensor_nodes, pipes, **options)
    drops = run_scenarios(batches, workers)
    meta = pd.concat([b.scenarios for b in batches]).set_index("scenario_id")
    return meta.join(drops, how="inner")
