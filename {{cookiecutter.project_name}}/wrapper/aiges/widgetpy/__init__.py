"""WidgetPy: the AIGES v3 loader's Python plugin protocol (``WIDGET_PLUGIN_MODE=py``), served by this runtime.

``server`` (the CLI of ``python3 -m python_wrapper.grpc_server``), ``selection`` (which class, which API),
``legacy`` / ``modern`` (the rpcs for the old ``Wrapper`` API and for the vendor's ``python_wrapper`` API),
``messages`` (wire items), ``sessions`` (per-handle locks, results waiting for Read), ``service`` (the rpc
table), ``callbacks`` (the loader's CallbackService), ``socketpath`` (the private socket behind ``--sock``),
``api`` (the ``python_wrapper`` user classes). See docs/explanation/widgetpy.md.
"""
