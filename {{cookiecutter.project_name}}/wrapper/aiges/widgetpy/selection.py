"""Which class of the ``--module`` serves, and which user API it is written for.

Two APIs share the name ``WrapperBase``: ``aiges.sdk.WrapperBase`` (the old ``Wrapper`` API: ``wrapperInit``,
``wrapperOnceExec``, ...) and ``python_wrapper.WrapperBase`` (the vendor's 2026 API: ``init``, ``exec``, ...,
``aiges.widgetpy.api``). The decision is explicit, never a guess from method names alone:

- new API: a subclass of ``python_wrapper.WrapperBase``, ours or the vendor's own package's;
- old API: a subclass of ``aiges.sdk.WrapperBase``, or a class with a callable ``wrapperInit`` (a wrapper
  written for the vendor's SDK without subclassing).

Without ``--class``: the first concrete new-API class by attribute name (the vendor's rule, which takes the
alphabetical order of ``inspect.getmembers``; abstract intermediates are skipped, the vendor tried to
instantiate them), else the module's ``Wrapper`` (the old API's fixed name).
"""

from types import ModuleType
from typing import Optional

from aiges import sdk
from aiges.widgetpy.bridge import first_new_api_class, is_new_api

NEW_API = "python_wrapper"
OLD_API = "aiges"


class SelectionError(Exception):
    """No usable wrapper class: the message says what was looked for."""


def is_old_api(cls: type) -> bool:
    if not isinstance(cls, type) or is_new_api(cls):
        return False
    if issubclass(cls, sdk.WrapperBase):
        return cls is not sdk.WrapperBase
    return callable(getattr(cls, "wrapperInit", None))


def api_of(cls: type) -> str:
    """``NEW_API`` or ``OLD_API``; SelectionError for a class of neither."""
    if is_new_api(cls):
        return NEW_API
    if is_old_api(cls):
        return OLD_API
    raise SelectionError(
        "%s is neither a python_wrapper.WrapperBase subclass (init/exec/...) nor an old-API Wrapper "
        "(aiges.sdk.WrapperBase, wrapperInit/...)" % getattr(cls, "__name__", cls)
    )


def find_class(module: ModuleType, class_name: Optional[str] = None) -> type:
    """The class to serve (see the module docstring); SelectionError when there is none."""
    if class_name:
        cls = getattr(module, class_name, None)
        if cls is None:
            raise SelectionError("class %r not found in %s" % (class_name, module.__name__))
        api_of(cls)
        return cls
    found = first_new_api_class(module)
    if found is not None:
        return found
    legacy = getattr(module, "Wrapper", None)
    if isinstance(legacy, type) and is_old_api(legacy):
        return legacy
    raise SelectionError(
        "no python_wrapper.WrapperBase subclass and no old-API Wrapper class found in %s" % module.__name__
    )
