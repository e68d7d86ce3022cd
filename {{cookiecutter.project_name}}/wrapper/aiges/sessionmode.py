"""Is the plugin a session (stream) plugin or a once plugin? One decision for render, run and serve.

The loader needs to know (``[aiges].sessMode``, the schema's websocket route, the call order), and
guessing it from the methods alone misreads real wrappers: once-mode plugins often keep a leftover
test ``wrapperCreate`` without ``wrapperWrite``, or implement both sets. So the mode can be said:

1. ``session_mode = "once"`` or ``"stream"`` as a class attribute of the Wrapper (wins), else
2. ``session_mode`` in ``[tool.aiges]`` of the project's pyproject.toml (the template writes its
   ``session_mode`` answer there); inside the image, where there is no pyproject.toml, the rendered
   aiges.toml next to wrapper.py carries the same decision as ``[aiges].sessMode``, else
3. it is inferred from the methods: ``wrapperWrite`` makes a session plugin, and so does
   ``wrapperCreate`` when there is no ``wrapperOnceExec``. An inferred mode is always reported with
   its reason, and incomplete session methods are warned about.
"""

import dataclasses
import os
from typing import Any, Iterable, List, Optional, Tuple

MODES = ("once", "stream")
ATTRIBUTE = "session_mode"  # the Wrapper class attribute
SETTING = "session_mode"  # the [tool.aiges] key


@dataclasses.dataclass(frozen=True)
class Decision:
    """The mode, where it came from (``"class"``, ``"project"`` or ``"inferred"``), why, and warnings."""

    session: bool
    source: str
    reason: str
    warnings: Tuple[str, ...] = ()

    @property
    def mode(self) -> str:
        return "stream" if self.session else "once"

    def describe(self) -> str:
        """One line for render and run output, e.g. ``session mode inferred: wrapperWrite is implemented``."""
        return "%s mode %s" % ("session (stream)" if self.session else "once", self.reason)


def setting_problem(value: Any) -> Optional[str]:
    """Why ``value`` is not a valid session mode setting (None when it is valid or unset)."""
    if value is None or value in MODES:
        return None
    return 'session_mode must be "once" or "stream", got %r' % (value,)


def decide(
    methods: Iterable[str],
    class_setting: Any = None,
    project_setting: Any = None,
    class_name: str = "Wrapper",
    project_source: str = "[tool.aiges]",
) -> Decision:
    """The session mode of a wrapper implementing ``methods`` (see the module docstring)."""
    methods = frozenset(methods)
    create, write = "wrapperCreate" in methods, "wrapperWrite" in methods
    once = "wrapperOnceExec" in methods or "wrapperOnceExecAsync" in methods
    warnings: List[str] = []
    if class_setting in MODES:
        session, source = class_setting == "stream", "class"
        reason = "set by %s.session_mode = %r" % (class_name, class_setting)
        if project_setting in MODES and project_setting != class_setting:
            warnings.append(
                "%s session_mode = %r is overridden by %s.session_mode = %r"
                % (project_source, project_setting, class_name, class_setting)
            )
    elif project_setting in MODES:
        session, source = project_setting == "stream", "project"
        reason = "set by %s session_mode = %r" % (project_source, project_setting)
    else:
        source = "inferred"
        session = write or (create and not once)
        if create and write:
            reason = "inferred: %s implements wrapperCreate and wrapperWrite" % class_name
        elif write:
            reason = "inferred: %s implements wrapperWrite" % class_name
        elif create:
            reason = (
                "inferred: %s implements wrapperCreate and no wrapperOnceExec" % class_name
                if session
                else "inferred: %s implements wrapperOnceExec; its wrapperCreate without wrapperWrite cannot "
                "serve a session" % class_name
            )
        else:
            reason = "inferred: %s implements no session method (wrapperCreate/wrapperWrite)" % class_name
        if session and once:
            reason += ' (it implements wrapperOnceExec too: set session_mode = "once" for a once plugin)'
    missing = [name for name, present in (("wrapperCreate", create), ("wrapperWrite", write)) if not present]
    if session and missing:
        warnings.append(
            "session methods are incomplete: %s does not implement %s, so the runtime's default "
            "refuses %s" % (class_name, " or ".join(missing), "them" if len(missing) > 1 else "it")
        )
    elif not session and not once and source != "inferred":
        warnings.append(
            'session_mode is "once" but %s implements no wrapperOnceExec%s, so once requests get the '
            'runtime\'s default, which fails; set session_mode = "stream" for a session plugin'
            % (class_name, " (only session methods)" if create or write else "")
        )
    elif not session and (create or write) and source == "inferred":
        warnings.append(
            '%s implements %s but is treated as a once plugin; set session_mode = "once" to say so '
            "(or implement %s for a session plugin)"
            % (
                class_name,
                " and ".join(n for n in ("wrapperCreate", "wrapperWrite") if n in methods),
                " and ".join(missing) or "both",
            )
        )
    return Decision(session, source, reason, tuple(warnings))


def project_setting(wrapper_file: str) -> Tuple[Optional[str], str]:
    """(session_mode, where it was read) for the project of ``wrapper_file``; (None, "") when unset.

    From ``[tool.aiges]`` when the project has a pyproject.toml; in the image (no pyproject.toml),
    from ``[aiges].sessMode`` of the rendered aiges.toml beside wrapper.py. Unreadable files count as
    unset here: render reads and validates ``[tool.aiges]`` itself, with clear errors.
    """
    from aiges import (  # only when the class sets no session_mode (reads the project's settings)
        loading,
        settings,
        tomlcompat,
    )

    # TomlReaderMissing counts as unreadable too: serving must not fail on it, and the image's build step
    # (`python -m aiges check --in-image`) already refuses an image without a TOML reader, naming the fix.
    unreadable = (OSError, ValueError, tomlcompat.TomlReaderMissing)

    folder = os.path.dirname(os.path.abspath(wrapper_file))
    root = loading.project_root(wrapper_file)
    for candidate in dict.fromkeys((root, folder)):
        if os.path.isfile(os.path.join(candidate, "pyproject.toml")):
            try:
                value = settings.tool_settings(candidate).get(SETTING)
            except unreadable:
                return None, ""
            return (value if value in MODES else None), "[tool.aiges]"
    rendered = os.path.join(folder, "aiges.toml")
    if os.path.isfile(rendered):
        try:
            flag = tomlcompat.load_file(rendered).get("aiges", {}).get("sessMode")
        except unreadable:
            return None, ""
        if isinstance(flag, bool):
            return ("stream" if flag else "once"), "aiges.toml [aiges].sessMode"
    return None, ""
