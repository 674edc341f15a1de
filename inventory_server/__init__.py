"""kiemke-server: the inventory server (Flask + SQLAlchemy 2.0)."""

__version__ = "0.1.0"
