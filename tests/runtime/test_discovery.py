"""Field discovery as the vendor does it (reference 16), plus the blind spots it had, fixed."""

import pytest
from aiges.errors import DeclarationErrors
from aiges.sdk import (
    ImageBodyField,
    IntegerParamField,
    NumberParamField,
    StringBodyField,
    StringParamField,
    WrapperBase,
)


class Base:
    inherited_in = StringBodyField(key="inh", value=b"x")


class Req(Base):
    foo = StringParamField(key="foo_key", value="v")  # no 'params' prefix
    bar = StringBodyField(key="bar_key", value=b"b")  # no 'input' prefix


class Resp:
    out = StringBodyField(key="out_key")  # no 'accept' prefix


class W1(WrapperBase):
    serviceId = "s1"
    version = "v1"
    requestCls = Req()
    responseCls = Resp()
    call = "atmos-x"
    sub = "sub-x"
    route = "/custom/route"
    call_type = 2
    hosts = "h.example"


def keys(fields):
    return [field.key for field in fields]


def test_fields_are_found_by_class_not_by_attribute_name():
    assert keys(W1.__mappings__["params"]) == ["foo_key"]
    assert keys(W1.__mappings__["accepts"]) == ["out_key"]


def test_fields_of_base_classes_are_found_too():
    # deliberate fix: the vendor ignored inherited fields (reference 16 lists only bar_key)
    assert keys(W1.__mappings__["inputs"]) == ["inh", "bar_key"]


def test_meta_attributes_reach_the_schema():
    meta = W1().schema_dict("legacy")["meta"]
    assert (meta["route"], meta["sub"], meta["call"], meta["call_type"]) == ("/custom/route", "sub-x", "atmos-x", 2)


def test_hosts_attribute_is_honoured():
    # deliberate fix: the vendor always wrote api.xf-yun.com (reference 16)
    assert W1().schema_dict("legacy")["meta"]["hosts"] == "h.example"


def test_a_subclass_of_a_concrete_wrapper_inherits_its_declarations():
    # deliberate fix: the vendor gave such a subclass empty mappings (reference 16, W3)
    class W3(W1):
        pass

    assert keys(W3.__mappings__["inputs"]) == ["inh", "bar_key"]
    assert W3().schema_dict()["meta"]["serviceId"] == "s1"


def test_a_class_instead_of_an_instance_is_a_clear_error():
    class W2(WrapperBase):
        serviceId = "s2"
        version = "v1"
        requestCls = Req
        responseCls = Resp

    with pytest.raises(DeclarationErrors, match=r"W2.requestCls is the class Req, not an instance"):
        W2().schema()


def test_missing_service_id_and_version_are_named():
    class W4(WrapperBase):
        requestCls = Req()
        responseCls = Resp()

    with pytest.raises(DeclarationErrors) as caught:
        W4().schema()
    assert "W4.serviceId is missing" in str(caught.value)
    assert "W4.version is missing" in str(caught.value)


def test_no_inputs_is_a_clear_error():
    class NoInput:
        p = StringParamField(key="p")

    class W5(WrapperBase):
        serviceId = "s5"
        version = "v1"
        requestCls = NoInput()
        responseCls = Resp()

    with pytest.raises(DeclarationErrors, match="declares no input field"):
        W5().schema()


def test_duplicate_keys_are_named():
    class Dup:
        a = StringBodyField(key="same", value=b"1")
        b = ImageBodyField(key="same", path="x.png")

    class W6(WrapperBase):
        serviceId = "s6"
        version = "v1"
        requestCls = Dup()
        responseCls = Resp()

    with pytest.raises(DeclarationErrors, match="field 'same': duplicate key 'same'"):
        W6().schema()


@pytest.mark.parametrize(
    "field, message",
    [
        (StringParamField(key="mode", enums=["a", "b"], value="c"), "default 'c' is not one of its enums"),
        (IntegerParamField(key="n", enums=[1, 2], value=3), "default 3 is not one of its enums"),
        (NumberParamField(key="x", minimum=1, maximum=2, value=5), "default 5 is outside minimum 1..maximum 2"),
        (IntegerParamField(key="k", value=1.5), "value must be an integer"),
        (StringParamField(key="s", minLength=5, maxLength=2), "minLength 5 is greater than maxLength 2"),
        (StringParamField(key="bad key"), "must not contain spaces"),
    ],
)
def test_bad_param_declarations_are_named(field, message):
    class Req2:
        p = field
        i = StringBodyField(key="in", value=b"x")

    class W7(WrapperBase):
        serviceId = "s7"
        version = "v1"
        requestCls = Req2()
        responseCls = Resp()

    with pytest.raises(DeclarationErrors, match=message):
        W7().schema()


def test_string_body_field_accepts_str_values():
    # deliberate fix: the vendor raised "StringBodyField value must be bytes String..." (reference 05)
    assert StringBodyField(key="t", value="cc").test_value == b"cc"


def test_sample_files_are_read_lazily_and_next_to_the_declaring_module(tmp_path):
    # deliberate fix: the vendor read files at import, relative to the current directory
    field = ImageBodyField(key="img", path="nowhere.png")
    assert field.resolve_path().endswith("tests/runtime/nowhere.png")
    with pytest.raises(FileNotFoundError, match="sample file for input 'img' not found"):
        field.sample_bytes()


def test_number_params_understand_the_loaders_binary_float_format():
    # the loader turns HTTP numbers into Go FormatFloat('b') strings (spec 12)
    assert NumberParamField(key="x").from_wire("6755399441055744p-51") == 3
    assert NumberParamField(key="x").from_wire("5629499534213120p-51") == 2.5
    assert IntegerParamField(key="x").from_wire("7") == 7
