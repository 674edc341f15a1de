"""Units resource."""
