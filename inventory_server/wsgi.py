"""WSGI entry point for gunicorn: ``gunicorn inventory_server.wsgi:app``."""

import gc

from inventory_server.app import create_app

app = create_app()
# The modules, the app and its metadata live as long as the process: moved out of the
# collector's reach, a full collection no longer walks them all. Without this, about one page in
# twenty (the province dashboard, say) took twice as long, the extra time spent in the collector.
gc.freeze()
