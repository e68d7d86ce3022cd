"""docs/reference/errors.md lists every code and exception type the runtime defines (aiges.errors):
the gRPC ret codes, ``LOADER_CODES`` and the exception classes; and runtime-api.md covers the API."""

import re

import pytest
from docs_support import page_text, runtime_json

ERRORS = runtime_json(r"""
import json, inspect
from aiges import errors
print(json.dumps({
    "ret": {name: getattr(errors, name) for name in ("OK", "INIT_ERROR", "USER_INIT_ERROR", "USER_EXEC_ERROR")},
    "loader": {str(code): text for code, text in errors.LOADER_CODES.items()},
    "exceptions": sorted(name for name, value in vars(errors).items() if inspect.isclass(value)
                         and issubclass(value, Exception) and value.__module__ == errors.__name__),
}))
""")

API = runtime_json(r"""
import json
from aiges import dto, sdk
from aiges.discovery import WRAPPER_METHODS
print(json.dumps({
    "methods": list(WRAPPER_METHODS) + ["schema", "run"],
    "dto": [name for name in ("DataListNode", "DataListCls", "ResponseData", "Response", "SessionCreateResponse",
                              "callback", "init_rq")],
}))
""")


def table_row(text: str, code: object) -> str:
    match = re.search(rf"(?m)^\|\s*`?{re.escape(str(code))}`?\s*\|.*$", text)
    return match.group(0) if match else ""


@pytest.mark.parametrize("name", ["OK", "INIT_ERROR", "USER_INIT_ERROR", "USER_EXEC_ERROR"])
def test_grpc_ret_codes_are_listed(name: str) -> None:
    code = ERRORS["ret"][name]
    row = table_row(page_text("reference/errors.md"), code)
    assert row and f"`{name}`" in row, f"errors.md needs a table row for {name} = {code} naming it"


@pytest.mark.parametrize("code", sorted(ERRORS["loader"]))
def test_loader_codes_are_listed(code: str) -> None:
    assert table_row(page_text("reference/errors.md"), code), f"errors.md has no table row for loader code {code}"


@pytest.mark.parametrize("name", ERRORS["exceptions"])
def test_exception_types_are_documented(name: str) -> None:
    assert f"`{name}`" in page_text("reference/errors.md")


@pytest.mark.parametrize("name", API["methods"])
def test_wrapper_methods_are_documented(name: str) -> None:
    assert re.search(rf"(?m)^#+ .*`{name}", page_text("reference/runtime-api.md")), (
        f"runtime-api.md needs a heading for WrapperBase.{name}"
    )


@pytest.mark.parametrize("name", API["dto"])
def test_dto_names_are_documented(name: str) -> None:
    assert re.search(rf"(?m)^#+ .*`{name}", page_text("reference/runtime-api.md")), (
        f"runtime-api.md needs a heading for aiges.dto.{name}"
    )
