"""The local debug run: call a wrapper in the loader's real order, check and show what it returns."""
