"""What a call achieved: the scorecard's `outcome` block and the agent-handling coaching flag.

Public API (pure functions over utterance dicts, no I/O):

- `extract_outcome(utterances, call_start=None, voice=None, config=None) -> dict`
- `handling_flags(utterances, outcome, voice=None, config=None) -> list[dict]`
- `parse_number(text)`, `find_amounts(text)`: numerals and sums of money
- `find_dates(text, today)`: date expressions resolved against a date
- `load_config(path=None)`: the cues and thresholds (`outcome.toml`), validated
"""

from .config import OutcomeConfigError, load_config
from .dates import DateMention, find_dates
from .extract import extract_outcome
from .handling import handling_flags
from .numbers import Amount, find_amounts, parse_number
from .result import RESULTS

__all__ = ["RESULTS", "Amount", "DateMention", "OutcomeConfigError", "extract_outcome",
           "find_amounts", "find_dates", "handling_flags", "load_config", "parse_number"]
