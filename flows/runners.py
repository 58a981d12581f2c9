"""Where the flow's analysis tasks run: threads in this process (the default), a local Dask
cluster of worker processes, or an existing Dask cluster on other machines.

Only the analysis runs on workers (each worker process loads the models once, in its analysis
process); they write each call's result to the results store and the flow, which alone writes
DuckDB (one writer), loads them. Workers need the same code, models and configuration, and
reach the recordings and the results store at the same paths or URLs (shared storage).
"""

from __future__ import annotations

from flows.nightly import local_threads
from usecases.settings import Settings


def task_runner_for(settings: Settings):
    if settings.run.dask_address or settings.run.dask_workers > 0:
        from prefect_dask import DaskTaskRunner  # only needed when asked for

        if settings.run.dask_address:
            return DaskTaskRunner(address=settings.run.dask_address)
        # Dask starts workers with OMP/MKL/OpenBLAS at 1 thread; the models then compute with a
        # different thread count than in this process and recognition differs in a few words.
        # Workers keep this process's thread settings, so both runners store the same results.
        import dask

        dask.config.set({"distributed.nanny.pre-spawn-environ": {"MALLOC_TRIM_THRESHOLD_": 65536}})
        return DaskTaskRunner(cluster_kwargs={"n_workers": settings.run.dask_workers, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    return local_threads()  # the flow keeps `workers` batches in flight (usecases.parallelism)
