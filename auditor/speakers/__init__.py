"""Who spoke: telling the parties of a mono call apart."""
