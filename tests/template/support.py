"""Bake the template with cookiecutter, copier and cruft, isolated from the user's configuration.

The template is tested from a clean copy (what git would ship: tracked and unignored files, no
caches), made a git repository with a tag, because copier and cruft only take templates from git.
"""

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATHS = ("cookiecutter.json", "copier.yml", "helpers", "hooks", "{{cookiecutter.project_name}}")
ANSWERS_FILES = {".copier-answers.yml", ".cruft.json"}
CACHES = {"__pycache__", ".pytest_cache", ".ruff_cache"}
PROJECT = "aiges-demo"  # the default project_name

# Variants: the defaults, every value of every choice question, and a pairwise cover of
# plugin_mode x session_mode x example (every pair of values appears in some row).
CHOICES = {
    "python_version": ["3.9", "3.10", "3.11"],
    "plugin_mode": ["grpc", "cgo"],
    "session_mode": ["once", "stream"],
    "example": ["text", "image", "audio"],
    "ci": ["github", "gitlab", "none"],
}
PAIRWISE = [
    {"plugin_mode": "cgo", "session_mode": "stream", "example": "text"},
    {"plugin_mode": "cgo", "session_mode": "once", "example": "image"},
    {"plugin_mode": "grpc", "session_mode": "stream", "example": "image", "python_version": "3.11"},
    {"plugin_mode": "grpc", "session_mode": "stream", "example": "audio", "ci": "gitlab"},
    {"plugin_mode": "cgo", "session_mode": "once", "example": "audio", "ci": "none"},
]


def variant_id(answers: Dict[str, str]) -> str:
    return "-".join(f"{key}={answers[key]}" for key in sorted(answers)) or "defaults"


def variants() -> Dict[str, Dict[str, str]]:
    found: Dict[str, Dict[str, str]] = {"defaults": {}}
    for name, values in CHOICES.items():
        for value in values[1:]:
            found[variant_id({name: value})] = {name: value}
    for answers in PAIRWISE:
        found[variant_id(answers)] = dict(answers)
    return found


# --- git, isolated from the user's configuration ------------------------------------------------------

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
}


@contextlib.contextmanager
def isolated_git(config_dir: Path) -> Iterator[None]:
    """Point git (ours, copier's and cruft's) at a private config for the duration of the block."""
    config = config_dir / "gitconfig"
    if not config.exists():
        config_dir.mkdir(parents=True, exist_ok=True)
        config.write_text(
            "[init]\n\tdefaultBranch = main\n[core]\n\tautocrlf = input\n"
            "[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n"
            "[user]\n\tname = Template Tests\n\temail = tests@example.invalid\n",
            encoding="utf-8",
        )
    changes = {"GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1", **GIT_IDENTITY}
    saved = {key: os.environ.get(key) for key in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}:\n{result.stdout}{result.stderr}")
    return result.stdout


def commit_all(repo: Path, message: str, tag: Optional[str] = None) -> None:
    if not (repo / ".git").exists():
        git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    if tag:
        git(repo, "tag", tag)


# --- the template under test ----------------------------------------------------------------------------


def template_files() -> List[str]:
    """Template files as git would ship them from the working tree (tracked or new, never ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *TEMPLATE_PATHS],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    return sorted({name for name in listed.decode("utf-8").split("\0") if name and (REPO / name).is_file()})


def copy_template(target: Path) -> Path:
    """A clean copy of the template at ``target``, committed and tagged v1.0.0."""
    for name in template_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, destination)
    commit_all(target, "template under test", tag="v1.0.0")
    return target


# --- engines ----------------------------------------------------------------------------------------------


def cookiecutter_config(folder: Path) -> Path:
    """A cookiecutter user config that keeps clones and replays inside ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "cookiecutter-config.yaml"
    config.write_text(
        f"cookiecutters_dir: {folder / 'cookiecutters'}\nreplay_dir: {folder / 'replay'}\n", encoding="utf-8"
    )
    return config


def bake_copier(template: Path, destination: Path, answers: Dict[str, str], vcs_ref: str = "HEAD") -> Path:
    import copier

    with isolated_git(destination.parent / ".gitconfig-home"):
        copier.run_copy(
            str(template), str(destination), data=dict(answers), defaults=True, unsafe=True, vcs_ref=vcs_ref, quiet=True
        )
    return destination


def bake_cruft(template: Path, output_dir: Path, answers: Dict[str, str]) -> Path:
    import cruft

    with isolated_git(output_dir / ".gitconfig-home"):
        project = cruft.create(
            str(template),
            output_dir=output_dir,
            extra_context=dict(answers),
            no_input=True,
            config_file=cookiecutter_config(output_dir / ".cookiecutter"),
        )
    return Path(project)


# --- looking at results -------------------------------------------------------------------------------------


def snapshot(project: Path) -> Tuple[Dict[str, bytes], List[str]]:
    """Every file's bytes and every folder of a generated project (answers files and caches aside)."""
    files: Dict[str, bytes] = {}
    folders: List[str] = []
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if CACHES & set(relative.parts) or relative.parts[0] == ".git" or relative.name in ANSWERS_FILES:
            continue
        if path.is_dir():
            folders.append(relative.as_posix())
        else:
            files[relative.as_posix()] = path.read_bytes()
    return files, folders


def run(command: List[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "COV_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False, env=env)


def python(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return run([sys.executable, *args], cwd=cwd, timeout=timeout)
