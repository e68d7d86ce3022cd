"""Host calls planned once per wrapper method instead of on every request.

``aiges.calling.call_flexibly`` decides from a method's signature which canonical loader arguments
it takes. That decision depends only on parameter names, so it is made once per method, with
placeholders, and the result replayed on each call: the hot path does no ``inspect`` work and
behaves exactly like ``call_flexibly`` (``usrTag``/``userTag`` aliases, optional extras, ...).
"""

from typing import Any, Callable, Dict, Sequence, Tuple

from aiges import calling

# Canonical argument lists of the host calls (AGENTS.md), in the order values are passed.
ONCE = ("params", "reqData", "usrTag", "persId")
CREATE = ("params", "sid", "persId", "usrTag")
WRITE = ("handle", "reqData", "sid")
DESTROY = ("handle",)
INIT = ("config",)
FINI: Tuple[str, ...] = ()


class _Slot:
    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


def plan(method: Callable[..., Any], names: Sequence[str]) -> Callable[..., Any]:
    """A function taking the canonical values positionally and calling ``method`` as it accepts them."""
    slots = [_Slot(index) for index in range(len(names))]
    try:
        args, keywords = calling.arguments_for(method, list(zip(names, slots)))
    except TypeError as error:  # the signature needs something the loader never provides
        problem = str(error)

        def impossible(*_: Any) -> Any:
            raise TypeError(problem)

        return impossible
    if not all(isinstance(value, _Slot) for value in list(args) + list(keywords.values())):
        return lambda *values: calling.call_flexibly(method, list(zip(names, values)))
    positions = tuple(slot.index for slot in args)
    named = tuple((name, slot.index) for name, slot in keywords.items())
    if not named and positions == tuple(range(len(positions))):
        count = len(positions)
        return lambda *values: method(*values[:count])
    return lambda *values: method(*[values[i] for i in positions], **{name: values[i] for name, i in named})


class Planner:
    """Caches plans per (method name, underlying function) of one wrapper instance."""

    def __init__(self, wrapper: Any) -> None:
        self.wrapper = wrapper
        self._plans: Dict[str, Tuple[Any, Callable[..., Any]]] = {}

    def __call__(self, name: str, names: Sequence[str]) -> Callable[..., Any]:
        method = getattr(self.wrapper, name)
        function = getattr(method, "__func__", method)
        cached = self._plans.get(name)
        if cached is not None and cached[0] is function:
            return cached[1]
        planned = plan(method, names)
        self._plans[name] = (function, planned)
        return planned
