"""The recogniser: model loading, decoding speech into text, guarding its output."""
