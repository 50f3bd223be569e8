"""How the parties sounded: loudness, pitch, speech rate, turns, delivery flags."""
