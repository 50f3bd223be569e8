"""Reports over the stored calls."""
