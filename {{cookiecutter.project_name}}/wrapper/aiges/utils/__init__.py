"""Small utilities of the runtime."""
