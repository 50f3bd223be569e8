"""Audio in: decoding recordings and finding speech."""
