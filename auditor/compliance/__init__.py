"""The rules: tokens, personal numbers, rule packs, matching, script steps."""
