"""WSGI entry point for gunicorn: ``gunicorn inventory_server.wsgi:app``."""

from inventory_server.app import create_app

app = create_app()
