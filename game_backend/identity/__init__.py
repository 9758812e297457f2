"""Identity: signed tokens that say who is calling, and password hashing."""
