"""Find the fields a Wrapper declares, the way the vendor did and without its blind spots.

As in the vendor SDK, fields are found by class (ParamField / PayloadField) on the ``requestCls`` and
``responseCls`` instances, and attribute names do not matter except that an ``accept*`` attribute
of the response is an output. Unlike the vendor, fields inherited from base classes of UserRequest
and a ``requestCls`` inherited from a parent Wrapper are found too, and a class given where an
instance is expected is reported instead of silently yielding no fields.
"""

import dataclasses
from typing import Any, FrozenSet, Iterator, List, Optional, Set, Tuple

from aiges.fields import Field, ParamField, PayloadField

WRAPPER_METHODS = (
    "wrapperInit",
    "wrapperFini",
    "wrapperOnceExec",
    "wrapperOnceExecAsync",
    "wrapperError",
    "wrapperLoadRes",
    "wrapperUnloadRes",
    "wrapperCreate",
    "wrapperWrite",
    "wrapperRead",
    "wrapperDestroy",
    "wrapperTestFunc",
)


@dataclasses.dataclass
class Found:
    params: List[ParamField]
    inputs: List[PayloadField]
    accepts: List[Field]  # body fields, and any other field whose attribute name starts with "accept" (vendor rule)
    request_error: Optional[str] = None
    response_error: Optional[str] = None


def declared_attributes(holder: Any) -> Iterator[Tuple[str, Any]]:
    """Attributes of an instance in definition order: base classes first, then its own, then instance."""
    seen = set()
    for klass in reversed(type(holder).__mro__):
        if klass is object:
            continue
        for name, value in vars(klass).items():
            if name.startswith("__") or name in seen:
                continue
            seen.add(name)
            yield name, getattr(holder, name, value)
    for name, value in vars(holder).items() if hasattr(holder, "__dict__") else ():
        if name not in seen and isinstance(value, Field):
            seen.add(name)
            yield name, value


def _instance_problem(attribute: str, value: Any, class_name: str) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, type):
        return "%s.%s is the class %s, not an instance: write `%s = %s()`" % (
            class_name,
            attribute,
            value.__name__,
            attribute,
            value.__name__,
        )
    return None


def discover(wrapper_cls: type) -> Found:
    """Collect params, inputs and accepts declared by ``wrapper_cls`` (never raises)."""
    request = getattr(wrapper_cls, "requestCls", None)
    response = getattr(wrapper_cls, "responseCls", None)
    found = Found(params=[], inputs=[], accepts=[])
    found.request_error = _instance_problem("requestCls", request, wrapper_cls.__name__)
    found.response_error = _instance_problem("responseCls", response, wrapper_cls.__name__)
    if request is not None and not found.request_error:
        for _, value in declared_attributes(request):
            if isinstance(value, PayloadField):
                found.inputs.append(value)
            elif isinstance(value, ParamField):
                found.params.append(value)
    if response is not None and not found.response_error:
        for name, value in declared_attributes(response):
            if isinstance(value, PayloadField) or (name.startswith("accept") and isinstance(value, Field)):
                found.accepts.append(value)
    return found


def user_methods(wrapper_cls: type) -> FrozenSet[str]:
    """Wrapper methods implemented by the user's classes (not only inherited from WrapperBase)."""
    implemented: Set[str] = set()
    for klass in wrapper_cls.__mro__:
        if vars(klass).get("__aiges_base__") or klass is object:  # WrapperBase marks itself: no import of sdk
            break
        implemented.update(name for name in WRAPPER_METHODS if name in vars(klass))
    return frozenset(implemented)


def legacy_mappings(wrapper_cls: type) -> dict:
    """The vendor's ``__mappings__`` dict, kept for wrappers and tools that read it."""
    found = discover(wrapper_cls)
    mappings: dict = {"inputs": found.inputs, "accepts": found.accepts, "params": found.params}
    for name in ("call", "sub", "route", "call_type"):
        if name in vars(wrapper_cls):
            mappings[name] = vars(wrapper_cls)[name]
    return mappings
