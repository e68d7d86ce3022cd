"""Find and import a plugin's ``wrapper.py`` the way the loader does (module ``wrapper``, class ``Wrapper``)."""

import importlib
import importlib.util
import os
import sys
from types import ModuleType
from typing import Callable, Optional, Tuple

WRAPPER_MODULE = "wrapper"
WRAPPER_CLASS = "Wrapper"
EMBED_MODULE = "aiges_embed"


def find_wrapper_file(location: Optional[str] = None) -> str:
    """Path of wrapper.py: ``location`` may be the file, its folder, or a project root with ``wrapper/``."""
    start = os.path.abspath(location or os.getcwd())
    candidates = (
        [start]
        if start.endswith(".py")
        else [os.path.join(start, "wrapper.py"), os.path.join(start, "wrapper", "wrapper.py")]
    )
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError("no wrapper.py found at %s (looked for %s)" % (start, ", ".join(candidates)))


def project_root(wrapper_file: str) -> str:
    """The generated project's root: the parent of ``wrapper/``, or the wrapper folder itself."""
    folder = os.path.dirname(os.path.abspath(wrapper_file))
    parent = os.path.dirname(folder)
    if os.path.basename(folder) == "wrapper" and (
        os.path.isfile(os.path.join(parent, "pyproject.toml")) or os.path.isdir(os.path.join(parent, "tests"))
    ):
        return parent
    return folder


def provide_embed_module() -> bool:
    """Make ``import aiges_embed`` work outside the loader's C wrapper; True when ours was installed.

    Published wrappers import names such as ``SessionCreateResponse`` and ``callback`` only from
    ``aiges_embed`` (the ``except ImportError`` branch lacks them) and use them in annotations, so
    without the module the import fails with NameError. Inside the C wrapper its own module exists
    (embedded, already imported or importable) and always wins: ours is installed only when no
    ``aiges_embed`` can be found at all.
    """
    if EMBED_MODULE in sys.modules:
        return False
    try:
        found = importlib.util.find_spec(EMBED_MODULE)
    except (ImportError, ValueError):
        found = None
    if found is not None:
        return False
    from aiges import embed  # only when no aiges_embed exists (outside the C wrapper)

    sys.modules[EMBED_MODULE] = embed
    return True


def import_wrapper(
    location: Optional[str] = None,
    class_name: str = WRAPPER_CLASS,
    fallback: Optional[Callable[[ModuleType], Optional[type]]] = None,
) -> Tuple[type, str]:
    """Import wrapper.py as module ``wrapper`` (its folder first on sys.path) and return (class, path).

    Changes the working directory to the wrapper's folder, as in the image (``/home/aiges``), so
    relative paths inside user code behave as they will in production. ``aiges_embed`` is importable
    during and after the import (:func:`provide_embed_module`). ``fallback(module)``: the class to use when the
    module has no ``class_name`` (the tools pass ``aiges.widgetpy.bridge.wrapper_for``: python_wrapper wrappers).
    """
    path = find_wrapper_file(location)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    os.chdir(folder)
    provide_embed_module()  # after sys.path has the wrapper's folder: an aiges_embed there would win
    existing = sys.modules.get(WRAPPER_MODULE)
    if existing is not None and os.path.abspath(getattr(existing, "__file__", "") or "") != path:
        del sys.modules[WRAPPER_MODULE]
    module = importlib.import_module(WRAPPER_MODULE)
    cls = getattr(module, class_name, None)
    if cls is None and fallback is not None:
        cls = fallback(module)
    if not isinstance(cls, type):
        raise AttributeError(
            "%s defines no class %r (nor a python_wrapper.WrapperBase subclass): the loader instantiates %s.%s()"
            % (path, class_name, WRAPPER_MODULE, class_name)
        )
    return cls, path
