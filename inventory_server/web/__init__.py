"""Web resource."""
