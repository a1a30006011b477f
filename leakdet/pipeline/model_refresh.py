"""The weekly model refresh split for an orchestrator: plan batches, run each anywhere, fit once.

:func:`leakdet.pipeline.train.train_localizer` does the same in one process. Here the
scenario library is cut into batches named by small picklable specs, so Airflow can map
one task per batch over as many workers as the deployment has:

1. :func:`plan_batches` → a list of specs (network, batch index, its slice of the library);
2. :func:`run_scenario_batch` (one per spec, anywhere) → a parquet file of that batch;
3. :func:`fit_from_batches` → concatenates the files, fits and stores the localizer.

A spec carries the library options rather than the batch itself: the batch is rebuilt
where it runs (:func:`leakdet.scenarios.library.plan_library` is deterministic), so specs
stay a few hundred bytes in XCom whatever the size of the model. Re-running a refresh with
the same ``run_key`` overwrites its files, so a retried task is harmless.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from leakdet.pipeline.train import fit_localizer, split_estimator_options, training_inputs
from platform_core.settings import get_settings

LIBRARY_OPTIONS = ("sizes_lps", "hours", "n_models", "roughness_sigma", "demand_sigma", "batch_size", "seed")


def library_dir(network: str, run_key: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", run_key)
    return get_settings().work_dir / "leakdet" / network / "library" / safe


def _library_options(options: dict) -> dict:
    unknown = set(options) - set(LIBRARY_OPTIONS) - {"max_pipes", "demand_compensated"}
    if unknown:
        raise ValueError(f"unknown library options {sorted(unknown)}; expected some of "
                         f"{sorted(LIBRARY_OPTIONS + ('max_pipes', 'demand_compensated'))}")
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items() if k in LIBRARY_OPTIONS}


def _batches(network: str, spec_options: dict, max_pipes: int | None, demand_compensated: bool):
    from leakdet.scenarios.library import plan_library

    inputs = training_inputs(network)
    pipes = list(inputs.pipe_xy.index)           # the order train_localizer uses
    if max_pipes:
        pipes = pipes[:max_pipes]
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in spec_options.items()}
    return inputs, plan_library(inputs.stored.inp_text, inputs.sensor_nodes, pipes,
                                demand_compensated=demand_compensated, **options)


def plan_batches(network: str, run_key: str = "latest", max_pipes: int | None = None,
                 demand_compensated: bool = True, **options) -> list[dict]:
    """One spec per batch of the network's scenario library.

    ``options``: ``sizes_lps``, ``hours``, ``n_models``, ``roughness_sigma``, ``demand_sigma``,
    ``batch_size``, ``seed``; ``max_pipes`` limits the library to the first pipes (tests, trials).
    """
    lib_options = _library_options({**options, "max_pipes": max_pipes})
    _, batches = _batches(network, lib_options, max_pipes, demand_compensated)
    return [{"network": network, "run_key": run_key, "index": i, "n_batches": len(batches),
             "model": int(b.scenarios["model"].iloc[0]),
             "scenario_ids": [int(b.scenarios["scenario_id"].iloc[0]), int(b.scenarios["scenario_id"].iloc[-1])],
             "max_pipes": max_pipes, "demand_compensated": demand_compensated, "options": lib_options}
            for i, b in enumerate(batches)]


def run_scenario_batch(spec: dict) -> str:
    """Simulate one batch of the library; write ``batch_<index>.parquet`` and return its path."""
    from leakdet.scenarios.engine import run_batch
    from leakdet.scenarios.library import batch_frame

    _, batches = _batches(spec["network"], spec["options"], spec["max_pipes"], spec["demand_compensated"])
    if len(batches) != spec["n_batches"]:
        raise RuntimeError(f"network {spec['network']} changed since the refresh was planned: "
                           f"{len(batches)} batches now, {spec['n_batches']} planned")
    batch = batches[spec["index"]]
    out = library_dir(spec["network"], spec["run_key"]) / f"batch_{spec['index']:05d}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    batch_frame(batch, run_batch(batch)).to_parquet(out)
    return str(out)


def fit_from_batches(network: str, paths: list[str], demand_compensated: bool = True, **estimator_options) -> dict:
    """Concatenate the batch files, fit and store the localizer; returns its version and metrics."""
    if not paths:
        raise ValueError(f"no scenario batches to fit the localizer of {network} on")
    estimator_options, rest = split_estimator_options(estimator_options)
    if rest:
        raise ValueError(f"unknown estimator options {sorted(rest)}")
    library = pd.concat([pd.read_parquet(p) for p in sorted(paths)]).sort_index()
    return {"network": network, **fit_localizer(training_inputs(network), library, demand_compensated,
                                                **estimator_options)}
