"""``aiges.concurrent.pool.Pool``: the abstract base of the vendor SDK's pools (it declares nothing)."""

from abc import ABC


class Pool(ABC):  # noqa: B024 - the vendor's base has no abstract method either; wrappers subclass it
    """Base class of object pools; wrappers use it as a type."""
