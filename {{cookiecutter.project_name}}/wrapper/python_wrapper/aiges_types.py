"""The vendor's module of the data types (``from python_wrapper.aiges_types import WrapperData`` keeps working)."""

from aiges.widgetpy.api import DataStatus, DataType, WrapperData

__all__ = ["DataStatus", "DataType", "WrapperData"]
