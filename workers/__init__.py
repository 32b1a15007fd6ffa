"""Process entry points: the CLI, settings, logging, relay, projectors and task workers."""
