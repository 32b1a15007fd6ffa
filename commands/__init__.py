"""Command types, pure decide/evolve per aggregate, role rules and handlers."""
