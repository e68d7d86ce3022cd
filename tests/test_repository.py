"""The repository keeps its promises to a new user: the README's commands are the ones CI runs."""

import re

from tests.conftest import REPO


def fresh_checkout_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## From a fresh checkout", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```console\n(.+?)\n```", section, flags=re.S)


def test_readme_has_exactly_two_fresh_checkout_commands():
    commands = fresh_checkout_commands()
    assert len(commands) == 2
    assert "nox -s demo" in commands[0]
    assert "nox -s lint tests docs" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci_script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert fresh_checkout_commands()[1] in ci_script.splitlines()


def test_every_text_file_uses_lf_line_endings():
    attributes = (REPO / ".gitattributes").read_text(encoding="utf-8")
    assert "* text=auto eol=lf" in attributes


def test_readme_performance_section_shows_the_latest_benchmark_results():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "update_readme.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


class RecordingSession:
    """Stands in for nox's session: records what the demo session would run."""

    def __init__(self):
        self.runs = []

    def install(self, *packages):
        pass

    def run(self, *command, **options):
        self.runs.append(command)

    def chdir(self, folder):
        self.runs.append(("cd", folder))

    def log(self, message):
        pass


def test_the_demo_session_never_deletes_an_earlier_demo(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("repository_noxfile", REPO / "noxfile.py")
    noxfile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(noxfile)
    monkeypatch.setattr(noxfile, "ROOT", tmp_path)
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "my_edit.py").write_text("kept\n")
    (tmp_path / "demo-2").mkdir()
    session = RecordingSession()

    noxfile.demo(session)

    assert (tmp_path / "demo" / "my_edit.py").read_text() == "kept\n"
    bake = next(command for command in session.runs if command[0] == "cookiecutter")
    assert "project_name=demo-3" in bake
    assert ("cd", str(tmp_path / "demo-3")) in session.runs
