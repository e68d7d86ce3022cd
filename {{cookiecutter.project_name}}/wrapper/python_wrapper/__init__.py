"""The vendor's ``python_wrapper`` names (``aiges-wrapper`` 0.1.0), served by the aiges runtime beside this folder.

Wrappers written for the vendor's package import from here unchanged; ``python3 -m python_wrapper.grpc_server``
is the server the loader starts in ``WIDGET_PLUGIN_MODE=py`` (``aiges.widgetpy``).
"""

from aiges.widgetpy.api import DataStatus, DataType, WrapperBase, WrapperData

__all__ = ["DataStatus", "DataType", "WrapperBase", "WrapperData"]
