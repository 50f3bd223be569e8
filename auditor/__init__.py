"""Call Auditor: audits recorded Mandarin debt-collection calls."""

__version__ = "0.1.0"
