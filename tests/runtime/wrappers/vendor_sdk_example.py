"""The declarations of the example wrapper.py shipped inside the vendor package (aiges/wrapper.py)."""
from aiges.sdk import (
    BooleanParamField,
    ImageBodyField,
    NumberParamField,
    StringBodyField,
    StringParamField,
    WrapperBase,
)


class UserRequest:
    params1 = StringParamField(key="param1", enums=["3", "eee"], value='3')
    params2 = BooleanParamField(key="param2", default=True)
    params3 = NumberParamField(key="param3", maximum=44, value=3)
    input1 = ImageBodyField(key="data", path="test_data/test.png")
    input2 = ImageBodyField(key="data2", path="test_data/test.png")
    input3 = StringBodyField(key="data3", value=b"")


class UserResponse:
    accept1 = StringBodyField(key="boxes")
    accept2 = StringBodyField(key="boxes2")


class Wrapper(WrapperBase):
    serviceId = "mmocr"
    version = "backup.0"
    requestCls = UserRequest()
    responseCls = UserResponse()
