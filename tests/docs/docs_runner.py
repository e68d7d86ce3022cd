"""Execute documentation blocks the way a reader would, in a scratch folder per page.

Blocks of one page share a working directory (a fresh generated project, an empty folder, or a
plain scratch folder) and run in page order; a ``cd`` in a shell block carries over to the next
block, as it would in the reader's terminal. Commands see ``python`` as the interpreter running
the tests, a private HOME, and the template checkout in place of ``gh:org/aiges-template``.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

from docs_blocks import Block, missing_output, parse_console

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
TEMPLATE_TREE = REPO / "{{cookiecutter.project_name}}"
TEMPLATE_RUNTIME = TEMPLATE_TREE / "wrapper"

# How the docs name the template; the tests use the checkout instead (no network).
TEMPLATE_URLS = (
    "https://github.com/org/aiges-template.git",
    "https://github.com/org/aiges-template",
    "gh:org/aiges-template",
)
DEFAULT_TIMEOUT = 300


class BlockFailedError(AssertionError):
    """A documentation block did not do what the page says it does."""


def substitute(text: str, template: Path = REPO) -> str:
    for url in TEMPLATE_URLS:
        text = text.replace(url, str(template))
    return text


def project_root_of(path: Path) -> Optional[Path]:
    for candidate in (path, *path.parents):
        if (candidate / "wrapper" / "aiges" / "__init__.py").is_file():
            return candidate
    return None


def docker_available() -> bool:
    try:
        import docker

        docker.from_env().ping()
    except Exception:  # noqa: BLE001 - any failure means "no usable engine"
        return False
    return True


def needs_skip_reason(block: Block) -> Optional[str]:
    """Why a ``needs=...`` block is not run here (None when it may run)."""
    needs = block.option("needs")
    if needs == "docker":
        if os.environ.get("AIGES_DOCS_DOCKER") == "1" and docker_available():
            return None
        return "needs docker and the platform base image; set AIGES_DOCS_DOCKER=1 where both exist"
    if needs == "network":
        if os.environ.get("AIGES_DOCS_NETWORK") == "1":
            return None
        return "needs network access; set AIGES_DOCS_NETWORK=1 to run it"
    return f"needs {needs}, which the docs tests never provide"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join("    | " + line for line in text.splitlines()[-lines:])


class PageRun:
    """The state of one page being executed: its scratch folder and current directory."""

    def __init__(self, scratch: Path, start: Path, template: Path = REPO) -> None:
        self.scratch = scratch
        self.cwd = start
        self.template = template  # what gh:org/aiges-template stands for on this page
        self.home = scratch / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.previous_python = ""
        self.failed: Optional[str] = None

    def env(self, python_path: Optional[Path] = None) -> Dict[str, str]:
        env = dict(os.environ)
        for name in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "AIGES_LOG_LEVEL"):
            env.pop(name, None)
        env.update(
            {
                "PATH": os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
                "HOME": str(self.home),
                "PYTHONDONTWRITEBYTECODE": "1",
                "NO_COLOR": "1",
                "LC_ALL": "C.UTF-8",  # stable `ls` order and UTF-8 output
                "COLUMNS": "100",
                "GIT_AUTHOR_NAME": "Docs Test",
                "GIT_AUTHOR_EMAIL": "docs@example.invalid",
                "GIT_COMMITTER_NAME": "Docs Test",
                "GIT_COMMITTER_EMAIL": "docs@example.invalid",
            }
        )
        if python_path is not None:
            env["PYTHONPATH"] = str(python_path)
        return env

    def run(self, block: Block) -> str:
        """Execute ``block`` and return its combined output; raise BlockFailedError when it misbehaves."""
        action = block.action
        if action == "write":
            return self.write(block)
        if action == "append":
            return self.append(block)
        if action == "insert":
            return self.insert(block)
        if action == "parse":
            return self.parse(block)
        if action in ("run", "needs") and block.kind == "shell":
            return self.shell(block)
        if action in ("run", "needs") and block.kind == "python":
            return self.python(block)
        raise BlockFailedError(f"{block.where}: nothing to run for a {block.lang!r} block marked {action!r}")

    def target(self, relative: str) -> Path:
        path = (self.cwd / relative).resolve()
        if self.scratch.resolve() not in path.parents:
            raise BlockFailedError(f"{relative} is outside the page's scratch folder")
        return path

    def write(self, block: Block) -> str:
        path = self.target(block.option("file") or "")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.text, encoding="utf-8")
        return ""

    def append(self, block: Block) -> str:
        """Add the block at the end of an existing file, separated by one blank line."""
        name = block.option("append") or ""
        path = self.target(name)
        if not path.is_file():
            raise BlockFailedError(f"{block.where}: append={name}, but there is no such file")
        existing = path.read_text(encoding="utf-8").rstrip("\n")
        path.write_text(existing + "\n\n\n" + block.text, encoding="utf-8")
        return ""

    def insert(self, block: Block) -> str:
        name = block.option("insert") or ""
        path = self.target(name)
        if not path.is_file():
            raise BlockFailedError(f"{block.where}: insert={name}, but there is no such file")
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        pattern = re.compile(block.option("after") or block.option("replace") or "")
        for index, line in enumerate(lines):
            if pattern.search(line):
                new = block.text.splitlines(keepends=True)
                if block.option("after") is not None:
                    lines[index + 1 : index + 1] = new
                else:
                    lines[index : index + 1] = new
                path.write_text("".join(lines), encoding="utf-8")
                return ""
        raise BlockFailedError(
            f"{block.where}: no line of {name} matches {pattern.pattern!r}; the page no longer fits the generated file"
        )

    def parse(self, block: Block) -> str:
        try:
            if block.lang == "json":
                json.loads(block.text)
            elif block.lang == "toml":
                from docs_support import load_toml

                load_toml(block.text)
            else:
                import yaml

                yaml.safe_load(block.text)
        except Exception as error:  # any parse error is the finding
            raise BlockFailedError(f"{block.where}: this {block.lang} block does not parse: {error}") from error
        return ""

    def python(self, block: Block) -> str:
        source = block.text
        if block.has("continue"):
            source = self.previous_python + "\n" + source
        self.previous_python = source
        project = project_root_of(self.cwd)
        runtime = project / "wrapper" if project else TEMPLATE_RUNTIME
        script = self.scratch / f"snippet_{block.line}.py"
        script.write_text(source, encoding="utf-8")
        return self._execute(block, [sys.executable, str(script)], self.env(runtime))

    def shell(self, block: Block) -> str:
        if block.lang in ("console", "shell-session"):
            console = parse_console(block.text)
            commands, expected = console.commands, console.expected
            if not commands:
                raise BlockFailedError(f"{block.where}: console block without a `$ ` command")
        else:
            commands, expected = [block.text], []
        state = self.scratch / "cwd.state"
        script = "\n".join(
            [
                "set -e",
                "cd " + _quote(str(self.cwd)),
                *(substitute(command, self.template) for command in commands[:-1]),
                "set +e",
                substitute(commands[-1], self.template),
                "rc=$?",
                "pwd > " + _quote(str(state)),
                "exit $rc",
                "",
            ]
        )
        output = self._execute(block, ["bash", "-c", script], self.env())
        if state.is_file():
            self.cwd = Path(state.read_text(encoding="utf-8").strip())
            state.unlink()
        if block.has("output"):
            missing = missing_output(expected, output)
            if missing:
                shown = "\n  ".join(missing)
                raise BlockFailedError(
                    f"{block.where}: output shown on the page but not printed:\n  {shown}\n"
                    f"actual output:\n{_tail(output)}"
                )
        return output

    def _execute(self, block: Block, argv: List[str], env: Dict[str, str]) -> str:
        expected_status = int(block.option("exit", "0") or 0)
        timeout = int(block.option("timeout", str(DEFAULT_TIMEOUT)) or DEFAULT_TIMEOUT)
        try:
            done = subprocess.run(
                argv,
                cwd=str(self.cwd),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise BlockFailedError(f"{block.where}: still running after {timeout} s") from error
        if done.returncode != expected_status:
            raise BlockFailedError(
                f"{block.where}: exit status {done.returncode}, the page expects "
                f"{expected_status}\n{_tail(done.stdout)}"
            )
        return done.stdout


def clone_template(destination: Path) -> Path:
    """A clean clone of the checkout's last commit (copier and cruft record and revisit commits)."""
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(destination)], check=True, timeout=300)
    return destination


def copy_project(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination, symlinks=True)
    return destination
