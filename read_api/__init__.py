"""The read API: queries over the read tables and Redis, and the audit routes."""
