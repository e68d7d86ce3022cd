"""The vendor's module of the base class (``from python_wrapper.aiges_wrapper import WrapperBase`` keeps working)."""

from aiges.widgetpy.api import WrapperBase

__all__ = ["WrapperBase"]
