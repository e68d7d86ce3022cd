"""The field declarations of the wrapper.py that the vendor's ``python -m aiges create`` generates."""
from aiges.sdk import ImageBodyField, StringBodyField, StringParamField, WrapperBase


class UserRequest:
    params1 = StringParamField(key="p1", enums=["3", "eee"], value='3')
    params2 = StringParamField(key="p2", maxLength=44, required=True)
    params3 = StringParamField(key="p3", maxLength=44, required=False)
    input1 = ImageBodyField(key="data", path="test_data/test.png")
    input3 = ImageBodyField(key="data2", path="test_data/test.png")
    input2 = StringBodyField(key="switch", value=b"ctrl")


class UserResponse:
    accept1 = ImageBodyField(key="result")


class Wrapper(WrapperBase):
    serviceId = "mmocr"
    version = "backup.0"
    requestCls = UserRequest()
    responseCls = UserResponse()
