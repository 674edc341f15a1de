"""Administration: units, users, enrollment secrets, audit log, dashboard figures, catalogue."""
