"""Allow ``python -m inventory_server``."""

from inventory_server.cli import main

raise SystemExit(main())
