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

    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "update_readme.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
