"""Auditing many recordings: finding, hashing, skipping, running, enrichment."""
