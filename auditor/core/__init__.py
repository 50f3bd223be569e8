"""Concepts every stage shares: the scorecard and its parts."""
