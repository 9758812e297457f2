"""The judge: what a round's presses and reported scores are worth, against the song's chart (no I/O here)."""
