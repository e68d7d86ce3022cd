"""The wrapper-facing API of the vendor SDK 0.16.0 is importable with the same names and values."""

import importlib

import pytest


def test_every_vendor_import_used_by_real_wrappers_works():
    import aiges.callback
    import aiges.errors  # noqa: F401
    from aiges.core.types import DataText  # noqa: F401
    from aiges.dto import (  # noqa: F401
        DataListCls,
        DataListNode,
        Once,
        Response,
        ResponseData,
        SessionCreateResponse,
        callback,
        init_rq,
    )
    from aiges.sdk import (  # noqa: F401
        AudioBodyField,
        BooleanParamField,
        ImageBodyField,
        IntegerParamField,
        JsonBodyField,
        NumberParamField,
        SessionManager,
        StringBodyField,
        StringParamField,
        WrapperBase,
    )
    from aiges.stream import StreamHandleThread  # noqa: F401
    from aiges.utils.log import getFileLogger, log  # noqa: F401


def test_video_body_field_exists_although_the_vendor_lacks_it():
    from aiges.sdk import VideoBodyField

    assert VideoBodyField(key="clip").data_type == 3


@pytest.mark.parametrize("module", ["aiges.core.types", "aiges.types", "aiges.dto", "aiges.sdk"])
def test_enum_values_are_those_of_the_loader(module):
    types = importlib.import_module(module)
    assert (types.DataText, types.DataAudio, types.DataImage, types.DataVideo) == (0, 1, 2, 3)
    assert (types.DataBegin, types.DataContinue, types.DataEnd, types.DataOnce, types.Once) == (0, 1, 2, 3, 3)


def test_string_and_status_names_match_the_vendor_dicts():
    from aiges.core.types import AUDIO, IMAGE, STRING, VIDEO, Status, Types

    assert (STRING, AUDIO, IMAGE, VIDEO) == (0, 1, 2, 3)
    assert Types == {0: "text", 1: "audio", 2: "image", 3: "video"}
    assert Status == {0: "begin", 1: "continue", 2: "end", 3: "once"}


def test_gRPC_error_codes():
    from aiges import errors

    assert (errors.OK, errors.INIT_ERROR, errors.USER_INIT_ERROR, errors.USER_EXEC_ERROR) == (0, 30001, 30002, 30003)


def test_core_imports_only_the_standard_library():
    import subprocess
    import sys

    from tests.conftest import runtime_env

    code = (
        "import sys, aiges.sdk, aiges.dto, aiges.tools.localrun.commands, aiges.stream, aiges.utils.log;"
        "bad=[m for m in ('grpc','google','tomli_w','docker','jinja2','pydantic') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    subprocess.run([sys.executable, "-c", code], env=runtime_env(), check=True)
