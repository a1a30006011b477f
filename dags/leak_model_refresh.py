"""leak_model_refresh: weekly, regenerate a network's scenario library and retrain its localizer.

plan (one small spec per batch of the library) -> simulate (a mapped task per batch:
runs on whichever worker is free, so the library spreads over every worker of the
deployment; writes one parquet per batch under the work dir) -> fit (concatenate,
fit the XGBoost localizer, store it with a new version in PostGIS).

The new version is used by the next ``leak_daily`` runs and recorded with every event it
localizes (``water.leak_events.model_version``). Library options are params, so a trial
run can ask for a small library (a few pipes, one size, one hour).
"""
from __future__ import annotations

from _bnw_common import NETWORKS, POOL, default_args, use_platform_database
from airflow.sdk import CronTriggerTimetable, Param, dag, task


@dag(
    dag_id="leak_model_refresh",
    schedule=CronTriggerTimetable("0 2 * * 0", timezone="Asia/Brunei"),   # Sunday 02:00, before the week's runs
    start_date=None,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(timeout_minutes=120, retries=2, first_retry_minutes=5, max_retry_minutes=60),
    params={
        "network": Param(NETWORKS[0], type="string", description="Network name in the store"),
        "sizes_lps": Param([1.0, 2.5, 6.0], type="array", items={"type": "number"}, description="Leak sizes, L/s"),
        "hours": Param([3, 14], type="array", items={"type": "integer"}, description="Local hours of the day"),
        "n_models": Param(2, type="integer", minimum=1, description="Nominal + perturbed model copies"),
        "batch_size": Param(600, type="integer", minimum=1, description="Scenarios per mapped task"),
        "max_pipes": Param(0, type="integer", minimum=0, description="Only the first N pipes (0 = all)"),
        "n_estimators": Param(300, type="integer", minimum=1, description="Boosting rounds of the localizer"),
    },
    tags=["leakdet", "model"],
    doc_md=__doc__,
)
def leak_model_refresh():
    @task(pool=POOL)
    def plan(params=None, run_id=None) -> list[dict]:
        use_platform_database()
        from leakdet.pipeline.model_refresh import plan_batches

        return plan_batches(params["network"], run_key=run_id, max_pipes=params["max_pipes"] or None,
                            sizes_lps=params["sizes_lps"], hours=params["hours"], n_models=params["n_models"],
                            batch_size=params["batch_size"])

    # CPU-bound EPANET solves; the DB is read once per batch (the model), so no pool slot is held.
    @task(map_index_template="batch {{ spec.index }}", max_active_tis_per_dagrun=16)
    def simulate(spec: dict) -> str:
        use_platform_database()
        from leakdet.pipeline.model_refresh import run_scenario_batch

        return run_scenario_batch(spec)

    @task(pool=POOL)
    def fit(paths: list[str], params=None) -> dict:
        use_platform_database()
        from leakdet.pipeline.model_refresh import fit_from_batches

        return fit_from_batches(params["network"], list(paths), n_estimators=params["n_estimators"])

    fit(simulate.expand(spec=plan()))


leak_model_refresh()
