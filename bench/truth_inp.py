"""Write the hidden "true" L-Town of a synthetic year as an INP: the oracle model.

``bench.ltown_year`` draws its truth from a seed: pipe roughness perturbed, and every
junction's demand given a long-run bias (plus hourly and daily noise, which no model can
know). This script redraws the same roughness and biases (the draws come first and in a
fixed order, see :func:`leakdet.synth.truth_model.perturb`) and writes the nominal model
with them. Given to the engine (``bench.ltown_year --engine-model FILE --reuse-truth``), it
measures what the nominal model's error costs: a calibration can at best recover this model.

    uv run python -m bench.truth_inp --seed 2018 [--mismatch harsh] --out truth-2018.inp
"""
from __future__ import annotations

import argparse

import numpy as np

from bench.ltown_year import MISMATCH, SHARED

HOURS = 365 * 24 + 1          # the year run's demand-noise length (draw sizes must match)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--mismatch", choices=sorted(MISMATCH), default="standard")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    import wntr

    from leakdet.synth.truth_model import perturb

    wn = wntr.network.WaterNetworkModel(str(SHARED / "L-TOWN.inp"))
    options = dict(MISMATCH[args.mismatch])
    noise = perturb(wn, np.random.default_rng(args.seed), HOURS, demand_noise=options.pop("demand_noise", 0.05),
                    **options)
    # Each row is day factor x bias x (1 + noise): divided by the city-wide mean per hour and
    # averaged over the year, it leaves the junction's bias (relative to the city's mean bias).
    bias = (noise.multipliers / noise.multipliers.mean(axis=0)).mean(axis=1)
    for name, category, b in zip(noise.junctions, noise.categories, bias):
        wn.get_node(name).demand_timeseries_list[category - 1].base_value *= float(b)
    wntr.network.io.write_inpfile(wn, args.out, units="LPS")
    print(f"wrote {args.out}: roughness and {len(bias)} demand biases of seed {args.seed} ({args.mismatch})")


if __name__ == "__main__":
    main()
