"""Core definitions of the runtime (standard library only)."""
