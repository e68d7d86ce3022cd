"""Params as the loader hands them to the plugin (spec 12, 13.4): Go's %b form for JSON numbers."""

import pytest
from aiges.tools.gateway.envelope import go_float, param_text


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (3, "6755399441055744p-51"),
        (-7, "-7881299347898368p-50"),
        (0, "0p-1074"),
        (2.5, "5629499534213120p-51"),
        (5e-324, "1p-1074"),  # the smallest subnormal: Go keeps the exponent at -1074
    ],
)
def test_json_numbers_take_gos_b_form(number, text):
    assert go_float(number) == text


def test_booleans_and_strings_pass_as_the_loader_writes_them():
    assert [param_text(True), param_text(False), param_text("x")] == ["true", "false", "x"]
