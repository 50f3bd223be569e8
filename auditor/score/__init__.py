"""Scoring a call from its flags."""
