"""The SQLite database of audited calls."""
