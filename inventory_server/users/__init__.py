"""Users resource."""
