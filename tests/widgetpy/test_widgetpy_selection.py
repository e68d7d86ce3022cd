"""Which class a WidgetPy server serves and which API it speaks: explicit rules, never a guess from names."""

import types

import pytest
from aiges import sdk
from aiges.widgetpy import bridge, selection
from python_wrapper import WrapperBase as NewBase


def module_of(**members):
    module = types.ModuleType("probe_module")
    for name, value in members.items():
        setattr(module, name, value)
    return module


class Complete(NewBase):
    def init(self, cfg):
        return 0

    def fini(self):
        return 0

    def version(self):
        return "1"


class Zeta(Complete):
    pass


class Alpha(Complete):
    pass


class Abstract(NewBase):  # no version(): the vendor's server tried to instantiate it and failed
    def init(self, cfg):
        return 0


class Old(sdk.WrapperBase):
    serviceId = "old"


class Both(sdk.WrapperBase):
    """Old API, although it also has new-API method names."""

    def init(self, cfg):
        return 0

    def exec(self, *args):
        return [], 0


def test_the_first_concrete_new_api_class_by_name_is_served():
    assert selection.find_class(module_of(Zeta=Zeta, Alpha=Alpha)) is Alpha
    assert selection.find_class(module_of(AAA=Abstract, Zeta=Zeta)) is Zeta
    assert selection.find_class(module_of(Zeta=Zeta, Alpha=Alpha), "Zeta") is Zeta


def test_a_new_api_class_wins_over_the_old_apis_wrapper():
    assert selection.find_class(module_of(Wrapper=Old, Zeta=Zeta)) is Zeta
    assert selection.find_class(module_of(Wrapper=Old)) is Old


def test_the_api_is_decided_by_the_base_class():
    assert selection.api_of(Zeta) == selection.NEW_API
    assert selection.api_of(Old) == selection.OLD_API
    assert selection.api_of(Both) == selection.OLD_API
    named_wrapper = type("Wrapper", (Complete,), {})
    assert selection.api_of(named_wrapper) == selection.NEW_API
    assert not bridge.is_new_api(NewBase) and not selection.is_old_api(sdk.WrapperBase)


def test_the_vendors_own_base_class_counts_as_the_new_api():
    vendor_base = type("WrapperBase", (), {"__module__": bridge.VENDOR_BASE_MODULE})
    assert bridge.is_new_api(type("Echo", (vendor_base,), {}))


def test_no_usable_class_is_a_clear_error():
    with pytest.raises(selection.SelectionError, match=r"no python_wrapper\.WrapperBase subclass and no old-API"):
        selection.find_class(module_of(Thing=int))
    with pytest.raises(selection.SelectionError, match="class 'Nope' not found in probe_module"):
        selection.find_class(module_of(), "Nope")
    with pytest.raises(selection.SelectionError, match="is neither"):
        selection.find_class(module_of(Thing=int), "Thing")


def test_the_tools_see_a_new_api_class_as_an_undeclared_wrapper():
    wrapper_class = bridge.wrapper_for(module_of(Zeta=Zeta))
    assert issubclass(wrapper_class, sdk.WrapperBase)
    assert (wrapper_class.serviceId, wrapper_class.version) == ("zeta", "v1")
    assert "wrapperOnceExec" not in vars(wrapper_class)  # Zeta has no exec(): nothing to bridge
    wrapper = wrapper_class()
    assert wrapper.wrapperInit({"a": 1}) == 0
    assert wrapper.wrapperVersion() == "1"
    assert bridge.wrapper_for(module_of(Wrapper=Old)) is None
