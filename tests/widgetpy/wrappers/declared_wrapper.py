"""A wrapper written for the vendor's python_wrapper API, with the aiges declarations the tools read."""

from aiges.sdk import StringBodyField
from python_wrapper import WrapperBase, WrapperData


class UserRequest:
    text = StringBodyField(key="text", path="test_data/sample.txt", description="text to upper-case")


class UserResponse:
    accept_result = StringBodyField(key="result", description="the text, upper-cased")


class Upper(WrapperBase):
    serviceId = "upper"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def init(self, cfg):
        return 0

    def fini(self):
        return 0

    def version(self):
        return "1.0"

    def exec(self, usr_tag, params, data_list, psr_ids):
        return [WrapperData("result", data_list[0].data.upper())], 0
