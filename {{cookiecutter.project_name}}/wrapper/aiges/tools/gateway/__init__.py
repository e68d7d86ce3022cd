"""``python -m aiges gateway``: the plugin served over HTTP and websocket as the loader serves it."""
