"""The QA review: verdicts on flags and the local review page."""
