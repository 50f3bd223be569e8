"""Who spoke: telling the parties of a mono call apart.

Data flows one way: ``features.voice_frames`` computes a call's voice features once; the pipeline
hands them to ``changes.split_at_speaker_changes`` (before decoding) and to
``attribution.attribute`` (after decoding). ``voices`` clusters voice vectors into two voices,
``roles`` reads role cues and turn-taking from the text (``config/roles.toml``), ``settings``
holds the voice side's thresholds (``config/attribution.toml``).
"""
