"""Post-generation step (cookiecutter and cruft): render schema.json, aiges.toml and xtest.toml.

It runs the generated project's own ``python -m aiges render`` (copier runs the same command as a
task), so the files made at generation time and the ones a user re-renders later come from one
implementation. No network and no git: cruft runs this hook again for update, check and diff.
"""

import subprocess
import sys


def main() -> int:
    command = [sys.executable, "-m", "aiges", "render"]
    status = subprocess.run(command, check=False).returncode
    if status != 0:
        print(
            f"ERROR: `python -m aiges render` failed (exit status {status}); see its message above. "
            "Rendering needs tomli-w in the Python that runs the template, and tomli below Python 3.11: "
            "pip install tomli-w tomli",
            file=sys.stderr,
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
