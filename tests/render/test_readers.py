"""The static reader and the import fallback read the same declarations, and render the same bytes.

Each source below is read both ways: statically (``ast``) and by importing it in a subprocess
(``--import``). The rendered files must be identical byte for byte; for sources the static reader
cannot evaluate, it must say which declaration forced the import.
"""

import textwrap
from pathlib import Path
from typing import Dict, Optional

import pytest
from aiges.errors import DeclarationErrors
from aiges.tools.render.pipeline import locate, render
from aiges.tools.render.reading import read_declarations

from .support import FIXTURE_NAMES, make_project

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)

HEAD = """\
from aiges.sdk import (BooleanParamField, ImageBodyField, IntegerParamField, NumberParamField, StringBodyField,
                       StringParamField, WrapperBase)
"""
REQUEST = """\
class UserRequest:
    lang = StringParamField(key="lang", enums=["zh", "en"], value="zh")
    image = ImageBodyField(key="image", path="test_data/x.png")
"""
RESPONSE = """\
class UserResponse:
    accept1 = StringBodyField(key="result")
"""
WRAPPER = """\
class Wrapper(WrapperBase):
    serviceId = "demo"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        return None
"""


def source(
    head: str = HEAD,
    request: str = REQUEST,
    response: str = RESPONSE,
    wrapper: str = WRAPPER,
    tail: str = "",
    extra: str = "",
) -> str:
    """A wrapper.py from its parts (each part is dedented on its own; ``extra`` follows the imports)."""
    parts = (head + textwrap.dedent(extra), request, response, wrapper, tail)
    return "\n\n".join(textwrap.dedent(part) for part in parts if part)


def write_project(root: Path, text: str, extra: Optional[Dict[str, str]] = None) -> Path:
    (root / "wrapper" / "test_data").mkdir(parents=True)
    (root / "wrapper" / "test_data" / "x.png").write_bytes(PNG)
    (root / "wrapper" / "wrapper.py").write_text(text, encoding="utf-8")
    (root / "pyproject.toml").write_text("[tool.aiges]\n", encoding="utf-8")
    for name, content in (extra or {}).items():
        (root / "wrapper" / name).write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def both_ways(root: Path):
    static = render(locate(str(root)))
    imported = render(locate(str(root)), force_import=True)
    assert imported.reading.how == "import"
    assert [(o.path, o.data) for o in static.outputs] == [(o.path, o.data) for o in imported.outputs]
    return static


@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_fixtures_render_identically_both_ways(tmp_path, fixture):
    root = make_project(tmp_path / fixture, fixture)
    assert both_ways(root).reading.how == "static"


STATIC_VARIANTS = {
    "aliases": source(
        head="""\
        import aiges.sdk as s
        from aiges import sdk
        from aiges.sdk import StringBodyField as Text
        from aiges.sdk import WrapperBase as Base
        """,
        request="""\
        class UserRequest:
            lang = s.StringParamField(key="lang", enums=["zh", "en"], value="zh")
            image = sdk.ImageBodyField(key="image", path="test_data/x.png")
            note = Text(key="note", value=b"ctrl")
        """,
        response="""\
        class UserResponse:
            accept1 = Text(key="result")
        """,
        wrapper=WRAPPER.replace("(WrapperBase)", "(Base)"),
    ),
    "star_import_and_type_constants": source(
        head="""\
        from aiges.core.types import *
        from aiges.sdk import *
        """,
        response="""\
        class UserResponse:
            accept1 = StringBodyField(key="result", status=DataContinue)
            accept2 = AudioBodyField(key="voice", status=Once)
        """,
    ),
    "vendor_try_import_and_main_guard": source(
        extra="""\
        try:
            from aiges_embed import Response
        except ImportError:
            from aiges.dto import Response
        """,
        tail="""\
        if __name__ == "__main__":
            UserRequest.extra = StringParamField(key="extra")
            Wrapper().run()
        """,
    ),
    "inheritance_and_overrides": source(
        request="""\
        class Common(object):
            lang = StringParamField(key="lang", enums=["zh", "en"], value="zh")
            level = IntegerParamField(key="level", maximum=9, value=1)


        class Left(Common):
            fast = BooleanParamField(key="fast", default=True)


        class Right(Common):
            image = ImageBodyField(key="image", path="test_data/x.png")
            level = IntegerParamField(key="level", maximum=9, value=5)


        class UserRequest(Left, Right):
            lang = StringParamField(key="lang", enums=["zh", "en"], value="en")
            __secret = StringParamField(key="secret", value="s")
            lang = StringParamField(key="lang", enums=["zh", "en"], value="zh")
        """
    ),
    "constants_and_expressions": source(
        extra="""\
        NAME = "demo"
        SIZES = (0.5, 2.5)
        LANGS = ["zh", "en"]
        DIR = "test_data"
        """,
        request="""\
        class UserRequest:
            lang = StringParamField(key="lang", enums=LANGS, value=LANGS[-1], description=f"one of {LANGS}")
            scale = NumberParamField("scale", SIZES[0], SIZES[1] * 2, None, False, -SIZES[0] + 2)
            image = ImageBodyField(key="image", path=DIR + "/x.png", encoding=("png", "jpg"))
            text = StringBodyField(key="text", value="中文 %s" % NAME)
        """,
        wrapper="""\
        class Wrapper(WrapperBase):
            serviceId = NAME
            version = "v%d" % (1 + 2)
            route = "/" + version + "/private/" + serviceId.upper()
            sub = "ocr"
            call_type = "2"
            config = {"name": NAME, "sizes": str(1)} if len(LANGS) > 5 or not NAME else {"name": NAME, "ratio": 0.5}
            config = dict(config, on=True, langs=",".join(sorted(LANGS)), upper=NAME.upper() == "DEMO")
            requestCls = UserRequest()
            responseCls = UserResponse()
            wrapperOnceExecAsync = None

            def wrapperCreate(self, params, sid, persId=0):
                return "h"

            def wrapperWrite(self, handle, req, sid=""):
                return 0
        """,
    ),
    "wrapper_base_chain_and_module_field": source(
        extra="""\
        RESULT = StringBodyField(key="result", format="json")
        """,
        response="""\
        class UserResponse:
            accept1 = RESULT
            helper = 3
        """,
        wrapper="""\
        class Base(WrapperBase):
            serviceId = "demo"
            config = None

            def wrapperOnceExec(self, params, reqData):
                return None


        class Wrapper(Base):
            version = "v1"
            requestCls = UserRequest()
            responseCls = UserResponse()
        """,
    ),
}


@pytest.mark.parametrize("name", sorted(STATIC_VARIANTS))
def test_static_reader_matches_import(tmp_path, name):
    text = STATIC_VARIANTS[name]
    root = write_project(tmp_path / name, text)
    assert both_ways(root).reading.how == "static"


NON_STATIC_VARIANTS = {
    # name: (source, text on the line that forces the import, words the reason must contain)
    "computed_path": (
        source(
            head="import os\n" + HEAD,
            request=REQUEST.replace('"test_data/x.png"', 'os.path.join(os.getcwd(), "test_data", "x.png")'),
        ),
        "os.path.join",
        ["image", "path=os.path.join"],
    ),  # (os.path.join of literals and __file__ is read statically)
    "value_from_environment": (
        source(
            head="import os\n" + HEAD,
            request=REQUEST.replace('value="zh"', 'value=os.environ.get("NO_SUCH_VARIABLE", "zh")'),
        ),
        "os.environ",
        ["lang", "value=os.environ.get"],
    ),
    "config_from_a_function": (
        source(
            extra="""\
        def load_config():
            return {"model": "m1"}
        """,
            wrapper=WRAPPER.replace('    version = "v1"\n', '    version = "v1"\n    config = load_config()\n'),
        ),
        "= load_config()",
        ["config", "load_config()"],
    ),
    "fields_added_in_init": (
        source(
            request=REQUEST
            + ('\n    def __init__(self):\n        self.extra = StringParamField(key="extra", value="x")\n')
        ),
        "def __init__",
        ["__init__"],
    ),
    "base_class_from_another_module": (
        source(
            head=HEAD + "from mybase import Base\n",
            wrapper="""\
        class Wrapper(Base):
            requestCls = UserRequest()
            responseCls = UserResponse()
        """,
        ),
        "class Wrapper(Base)",
        ["Base", "mybase"],
    ),
    # a class changed after its body ran: the runtime finds its fields when it reads the class, the reader cannot
    "field_assigned_into_the_request_class_after_wrapper": (
        source(tail='UserRequest.late = StringParamField(key="late", value="x")\n'),
        "UserRequest.late =",
        ["class UserRequest is changed at module level", "UserRequest.late"],
    ),
    "module_field_assigned_into_the_request_class": (
        source(tail='late = StringParamField(key="late", value="x")\nUserRequest.late = late\n'),
        "UserRequest.late = late",
        ["class UserRequest is changed at module level"],
    ),
    "field_set_with_setattr_inside_a_block": (
        source(
            tail="""\
        for name in ("late", "later"):
            setattr(UserResponse, "accept_" + name, StringBodyField(key=name))
        """
        ),
        "setattr(UserResponse",
        ["class UserResponse is changed at module level", "setattr(UserResponse"],
    ),
    "wrapper_attribute_changed_after_its_class": (
        source(tail='Wrapper.version = "v2"\n'),
        "Wrapper.version =",
        ["class Wrapper is changed at module level"],
    ),
}
MYBASE = """\
from aiges.sdk import WrapperBase


class Base(WrapperBase):
    serviceId = "demo"
    version = "v1"

    def wrapperOnceExec(self, params, reqData):
        return None
"""


@pytest.mark.parametrize("name", sorted(NON_STATIC_VARIANTS))
def test_non_static_declarations_are_read_by_import_and_named(tmp_path, monkeypatch, name):
    text, marker, words = NON_STATIC_VARIANTS[name]
    line = next(number for number, text_line in enumerate(text.splitlines(), 1) if marker in text_line)
    root = write_project(tmp_path / name, text, {"mybase.py": MYBASE})
    monkeypatch.chdir(root)  # messages name files relative to the current directory
    rendered = both_ways(root)
    assert rendered.reading.how == "import"
    reason = rendered.reading.reason
    assert reason.startswith("wrapper/wrapper.py:%d: " % line), reason
    for word in words:
        assert word in reason


def test_import_fallback_reads_the_same_as_a_static_twin(tmp_path):
    computed = write_project(tmp_path / "computed", NON_STATIC_VARIANTS["computed_path"][0])
    plain = write_project(tmp_path / "plain", source())
    assert render(locate(str(computed))).outputs == render(locate(str(plain))).outputs


ERROR_VARIANTS = {
    "no_inputs": source(wrapper=WRAPPER.replace("requestCls = UserRequest()", "requestCls = None")),
    "class_not_instance": source(wrapper=WRAPPER.replace("requestCls = UserRequest()", "requestCls = UserRequest")),
    "same_field_bound_twice": source(request=REQUEST + '    other = lang = StringParamField(key="k")\n'),
    "no_service_id": source(wrapper=WRAPPER.replace('    serviceId = "demo"\n', "")),
    "accept_is_a_param": source(response=RESPONSE + '    accept_flag = BooleanParamField(key="flag")\n'),
}


@pytest.mark.parametrize("name", sorted(ERROR_VARIANTS))
def test_both_readers_report_the_same_problems(tmp_path, monkeypatch, name):
    root = write_project(tmp_path / name, ERROR_VARIANTS[name])
    monkeypatch.chdir(root)
    messages = []
    for force_import in (False, True):
        with pytest.raises(DeclarationErrors) as caught:
            render(locate(str(root)), force_import=force_import)
        messages.append([str(error) for error in caught.value.errors])
    assert messages[0] == messages[1]
    assert all(message.startswith("wrapper/wrapper.py:") for message in messages[0])


def test_read_declarations_works_without_a_project(tmp_path, monkeypatch):
    write_project(tmp_path, source())
    monkeypatch.chdir(tmp_path / "wrapper")
    reading = read_declarations("wrapper.py")
    assert reading.how == "static" and reading.reason is None
    assert [field.key for field in reading.declarations.all_fields()] == ["lang", "image", "result"]
    assert reading.declarations.methods == {"wrapperOnceExec"}
