"""docs/reference/cli.md documents every command and every flag of ``python -m aiges``, and nothing else.

The command list comes from ``aiges.__main__.COMMANDS`` and each command's flags from its own
``configure(parser)``, i.e. exactly what ``python -m aiges <command> --help`` prints. A command
whose module (``module`` or ``module:NAME``, as ``__main__`` resolves it) does not import fails.
"""

import re
from typing import Dict, List

import pytest
from docs_support import page_text, runtime_json

PAGE = "reference/cli.md"

INTROSPECT = r"""
import argparse, importlib, json
from aiges.__main__ import COMMANDS, build_parser

def describe(parser):
    found = {"options": [], "positionals": []}
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if action.option_strings:
            found["options"].append(list(action.option_strings))
        elif isinstance(action, argparse._SubParsersAction):
            found["positionals"].extend(sorted(action.choices))
        else:
            found["positionals"].append(action.metavar or action.dest)
    return found

out = {"__top__": describe(build_parser())}
for name, (target, summary) in COMMANDS.items():
    entry = {"module": target, "summary": summary}
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
        command = getattr(module, attribute) if attribute else module
    except (ImportError, AttributeError) as error:
        entry["import_error"] = repr(error)
    else:
        parser = argparse.ArgumentParser(prog="python -m aiges " + name)
        command.configure(parser)
        entry.update(describe(parser))
    out[name] = entry
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def cli() -> Dict[str, dict]:
    return runtime_json(INTROSPECT)  # type: ignore[return-value]


def command_names() -> List[str]:
    return list(runtime_json("from aiges.__main__ import COMMANDS; import json; print(json.dumps(list(COMMANDS)))"))


def sections() -> Dict[str, str]:
    """``## `python -m aiges <command>` `` sections of the page, by command name."""
    found: Dict[str, str] = {}
    for chunk in re.split(r"(?m)^## ", page_text(PAGE))[1:]:
        heading, _, body = chunk.partition("\n")
        match = re.search(r"`python -m aiges (\w+)", heading)
        if match:
            found[match.group(1)] = body
    return found


def test_top_level_flags_are_documented(cli: Dict[str, dict]) -> None:
    text = page_text(PAGE)
    for flags in cli["__top__"]["options"]:
        assert any(f"`{flag}`" in text for flag in flags), f"python -m aiges {flags} is not documented"


@pytest.mark.parametrize("command", command_names())
def test_command_has_a_section(command: str) -> None:
    assert command in sections(), f"docs/{PAGE} has no `## \\`python -m aiges {command}\\`` section"


@pytest.mark.parametrize("command", command_names())
def test_every_flag_of_the_command_is_documented(command: str, cli: Dict[str, dict]) -> None:
    entry = cli[command]
    assert "import_error" not in entry, f"{entry['module']} exists but does not import: {entry['import_error']}"
    body = sections().get(command, "")
    undocumented = [
        flags for flags in entry["options"] if not any(re.search(rf"`{re.escape(flag)}[` ]", body) for flag in flags)
    ]
    assert not undocumented, f"python -m aiges {command}: flags missing from docs/{PAGE}: {undocumented}"
    missing_positionals = [name for name in entry["positionals"] if f"`{name}`" not in body]
    assert not missing_positionals, f"python -m aiges {command}: arguments missing: {missing_positionals}"


@pytest.mark.parametrize("command", command_names())
def test_no_documented_flag_is_stale(command: str, cli: Dict[str, dict]) -> None:
    entry = cli[command]
    assert "import_error" not in entry, entry.get("import_error")
    real = {flag for flags in entry["options"] for flag in flags} | {"-h", "--help"}
    documented = set(re.findall(r"`(--?[a-zA-Z][\w-]*)", sections().get(command, "")))
    # flags of other programs quoted in prose (docker, pip, ...) are written with their program name
    stale = sorted(flag for flag in documented - real)
    assert not stale, f"docs/{PAGE} documents flags python -m aiges {command} does not have: {stale}"
