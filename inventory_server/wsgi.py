"""WSGI entry point for gunicorn: ``gunicorn inventory_server.wsgi:app``."""

import gc

from inventory_server.app import create_app

GC_THRESHOLDS = (20_000, 20, 10)
"""The collector's thresholds in server processes (Python's defaults: 700, 10, 10)."""

app = create_app()
# The modules, the app and its metadata live as long as the process: moved out of the
# collector's reach, a full collection no longer walks them all. Without this, about one page in
# twenty (the province dashboard, say) took twice as long, the extra time spent in the collector.
gc.freeze()
# A first full report makes several thousand short-lived containers (a tuple or two per package),
# nearly all gone by the time it is answered. With the default threshold the youngest generation
# was collected a few times per report, each time moving what was still in use to older ones:
# 0.3-0.7 ms of collection per report, against 0.01-0.03 ms at 20,000 (docs/benchmarks.md). The
# garbage this lets wait is bounded by the threshold.
gc.set_threshold(*GC_THRESHOLDS)
