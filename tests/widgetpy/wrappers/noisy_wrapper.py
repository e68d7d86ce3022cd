"""A new-API wrapper that prints (without flush) and whose version() may raise."""

import os

from python_wrapper import WrapperBase


class Noisy(WrapperBase):
    def init(self, cfg):
        print("printed by init")
        return 0

    def fini(self):
        return 0

    def version(self):
        if os.environ.get("PROBE_VERSION_RAISE"):
            raise RuntimeError("version boom")
        return "2.0"
