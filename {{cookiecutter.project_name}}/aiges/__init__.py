"""Lets ``python -m aiges ...`` work from the project root.

The runtime itself lives in ``wrapper/aiges`` so that it lands next to wrapper.py in the image,
where the loader imports it. This package only points Python there; do not add code here.
"""
import os

_RUNTIME = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "wrapper", "aiges")
__path__ = [_RUNTIME]  # submodules (aiges.sdk, aiges.serve, ...) come from the runtime
with open(os.path.join(_RUNTIME, "__init__.py"), encoding="utf-8") as _source:
    exec(compile(_source.read(), os.path.join(_RUNTIME, "__init__.py"), "exec"))  # noqa: S102
del _source
