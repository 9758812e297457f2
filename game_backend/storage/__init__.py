"""Storage: the MongoDB handle and its indexes, the embedded development database, documents as JSON, group commit."""
