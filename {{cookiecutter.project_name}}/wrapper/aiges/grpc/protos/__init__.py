"""The wire format: the ``.proto`` files (the single source) and ``descriptor_set``, compiled from them."""
