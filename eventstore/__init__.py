"""The PostgreSQL event store: schema, append, reads, hash chains, seals, verification."""
