"""The bake's rules for ``serviceId`` and ``version``, so ``render`` refuses what the template refuses.

The serviceId names the loader's route ``/<version>/private/<serviceId>``, the image and paths; a
value such as ``"../../etc"`` must never get that far. The rules are those of the template's
``service_id`` and ``service_version`` questions (``helpers/rules.py``, which the runtime cannot
import: it is not in the generated project); ``tests/render/test_names.py`` keeps the two equal.
"""

import keyword
import re
from typing import Any, Optional, Tuple

# (pattern, what the pattern demands, maximum length): equal to helpers/rules.PATTERNS
SERVICE_ID: Tuple[str, str, int] = (
    r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$",
    "start with a lowercase letter and use only lowercase letters, digits and single '_' between "
    "them (the loader's serviceId: the route /<version>/private/<serviceId> and the image name)",
    64,
)
VERSION: Tuple[str, str, int] = (
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
    "start with a letter or digit and use only letters, digits, '.', '_' or '-' "
    "(one path segment of the route /<version>/private/<serviceId>)",
    32,
)


def _problem(value: Any, rule: Tuple[str, str, int], reserved_words: bool) -> Optional[str]:
    pattern, demand, limit = rule
    if not isinstance(value, str) or not re.match(pattern, value):
        return "%r is invalid: it must %s" % (value, demand)
    if len(value) > limit:
        return "%r is too long: at most %d characters" % (value, limit)
    if reserved_words and keyword.iskeyword(value):
        return "%r is a Python reserved word: choose another name" % value
    return None


def service_id_problem(value: Any) -> Optional[str]:
    """Why ``value`` cannot be a serviceId (None when it can)."""
    return _problem(value, SERVICE_ID, reserved_words=True)


def version_problem(value: Any) -> Optional[str]:
    """Why ``value`` cannot be a version (None when it can)."""
    return _problem(value, VERSION, reserved_words=False)


def default_tag(service_id: Optional[str], version: Optional[str]) -> Optional[str]:
    """``serviceId:version`` made valid for Docker (lower-case repository, restricted tag characters)."""
    if not service_id:
        return None
    repository = re.sub(r"[^a-z0-9._/-]+", "-", service_id.lower()).strip("._/-") or "aiges-plugin"
    tag = re.sub(r"[^A-Za-z0-9_.-]+", "-", version or "latest").lstrip(".-")[:128] or "latest"
    return f"{repository}:{tag}"
