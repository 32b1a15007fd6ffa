"""Read models: pure event -> row-change policies and Redis views."""
