"""Before cookiecutter reads the answers: refuse a command-line value outside a choice question's list, cleanly.

cookiecutter checks a ``key=value`` answer against a choice question's list in ``generate_context``, before the
pre-gen hook runs, and its command line prints that ValueError as a traceback. It runs this hook earlier
(cookiecutter >= 2.4), so the hook reads the answers from the command line of the process that runs it and exits 1
with one line per bad answer, which cookiecutter reports as a failed hook, without a traceback. Called through the
API (``cookiecutter(extra_context=...)``) there is no command line to read, and the ValueError stays.
"""

import json
import os
import sys
from typing import Dict, List


def parent_arguments() -> List[str]:
    """The argv of the cookiecutter process that runs this hook, where the system shows it (Linux's /proc)."""
    try:
        with open("/proc/%d/cmdline" % os.getppid(), "rb") as handle:
            raw = handle.read()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def command_line_answers(argv: List[str]) -> Dict[str, str]:
    """The ``key=value`` arguments (cookiecutter's EXTRA_CONTEXT); only choice questions' keys are checked."""
    pairs = (argument.partition("=") for argument in argv if not argument.startswith("-") and "=" in argument)
    return {key: value for key, _, value in pairs}


def main() -> int:
    with open("cookiecutter.json", encoding="utf-8") as handle:
        questions = json.load(handle)
    choices = {name: [str(item) for item in value] for name, value in questions.items() if isinstance(value, list)}
    problems = [
        "%s=%s is not one of the choices: %s" % (name, value, ", ".join(choices[name]))
        for name, value in command_line_answers(parent_arguments()).items()
        if name in choices and value not in choices[name]
    ]
    for problem in problems:
        print("aiges-template: " + problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
