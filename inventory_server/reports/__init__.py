"""Reports resource."""
