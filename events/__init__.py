"""Domain event types: frozen msgspec Structs with explicit, stable tags, and their codec."""
