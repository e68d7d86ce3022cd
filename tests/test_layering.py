"""The runtime's import structure: no cycles, and each layer imports only the layers below it.

Read from the source with ``ast`` (top-level and function-level imports alike), so a cycle hidden in a
function still counts. The layers, lowest first (docs/explanation/architecture.md draws them):

- ``base``: constants, errors, logging, TOML reading: needs nothing of the runtime above it;
- ``data``: what a wrapper declares and exchanges (fields, DTOs, params, the session table, declarations);
- ``api``: ``aiges.sdk``, the module every wrapper imports;
- ``server``: what the loader runs (the gRPC plugin server, the probe);
- ``tools``: the developer tools (render, check, local run, build, gateway) and the command table.

The run-time layers never import the tools, with one documented exception: ``WrapperBase.run()`` (the
vendor's ``Wrapper().run()``) starts the local run, imported when called.
"""

import ast
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

RUNTIME = Path(__file__).resolve().parent.parent / "{{cookiecutter.project_name}}" / "wrapper"

LAYERS: List[Tuple[str, Tuple[str, ...]]] = [
    (
        "base",
        (
            "aiges.core",
            "aiges.types",
            "aiges.utils",
            "aiges.errors",
            "aiges.tomlcompat",
            "aiges.callback",
            "aiges.sourcelines",
            "aiges.failures",
            "aiges.publicapi",
        ),
    ),
    (
        "data",
        (
            "aiges.dto",
            "aiges.fields",
            "aiges.hostclasses",
            "aiges.embed",
            "aiges.responses",
            "aiges.params",
            "aiges.sessiontable",
            "aiges.discovery",
            "aiges.declarations",
            "aiges.sessionmode",
            "aiges.calling",
            "aiges.schema",
            "aiges.methodguard",
            "aiges.stream",
            "aiges.concurrent",
            "aiges.worker",
            "aiges.loading",
            "aiges.settings",
            "aiges.resultchecks",
        ),
    ),
    ("api", ("aiges.sdk", "aiges.widgetpy.api", "aiges.widgetpy.bridge")),
    ("server", ("aiges.serve", "aiges.grpc", "aiges.probe", "aiges.widgetpy")),
    ("tools", ("aiges.tools", "aiges.__main__")),
]
# Imports against the layers that are there on purpose, each made inside the function that needs it.
ALLOWED_UPWARD = {
    (
        "aiges.sdk",
        "aiges.tools.localrun.commands",
    ): "WrapperBase.run(): the vendor's Wrapper().run() starts the local run"
}


def modules() -> Dict[str, Path]:
    found = {}
    for path in sorted((RUNTIME / "aiges").rglob("*.py")):
        parts = list(path.relative_to(RUNTIME).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = modules()


def resolve(name: str) -> Optional[str]:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name if name and name != "aiges" else None


def imports_of(module: str) -> Set[str]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(resolve(alias.name) for alias in node.names if alias.name.startswith("aiges."))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base == "aiges" or base.startswith("aiges."):
                for alias in node.names:
                    full = "%s.%s" % (base, alias.name)
                    found.add(resolve(full) if full in MODULES else resolve(base))
    found.discard(None)
    found.discard(module)
    return found  # type: ignore[return-value]


GRAPH = {module: imports_of(module) for module in MODULES}


def layer_of(module: str) -> int:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return index
    raise AssertionError("%s is in no layer: add it to LAYERS in tests/test_layering.py" % module)


def cycles() -> List[List[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    found: List[List[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(GRAPH[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return found


def test_the_runtime_has_no_import_cycle():
    assert cycles() == []


def test_every_runtime_module_belongs_to_a_layer():
    for module in MODULES:
        if module != "aiges":
            layer_of(module)


def test_each_layer_imports_only_the_layers_below_it():
    upward = sorted(
        "%s (%s) imports %s (%s)" % (module, LAYERS[layer_of(module)][0], target, LAYERS[layer_of(target)][0])
        for module, targets in GRAPH.items()
        if module != "aiges"
        for target in targets
        if layer_of(target) > layer_of(module) and (module, target) not in ALLOWED_UPWARD
    )
    assert upward == []


def test_the_allowed_exceptions_are_still_needed():
    for module, target in ALLOWED_UPWARD:
        assert target in GRAPH[module], "%s no longer imports %s: drop it from ALLOWED_UPWARD" % (module, target)


def test_the_cycle_finder_finds_a_cycle():
    saved = dict(GRAPH)
    try:
        GRAPH["aiges.fields"] = GRAPH["aiges.fields"] | {"aiges.sdk"}
        assert any("aiges.fields" in component and "aiges.sdk" in component for component in cycles())
    finally:
        GRAPH.clear()
        GRAPH.update(saved)


def imports_inside_functions() -> List[Tuple[str, int, str]]:
    """``(module, line, source line)`` of every import statement inside a function body."""
    found = []
    for module, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        found.append((module, inner.lineno, lines[inner.lineno - 1]))
    return sorted(set(found))


def says_why(path: Path, line: int) -> bool:
    """The import line, or the comment line(s) right above it (a group of imports shares one), give a reason."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if "#" in lines[line - 1]:
        return True
    index = line - 2
    while index >= 0 and lines[index].strip().startswith(("import ", "from ")):
        index -= 1
    return index >= 0 and lines[index].strip().startswith("#")


def test_an_import_inside_a_function_says_why():
    """Imports sit at the top; one inside a function is there for start-up time or an optional dependency,
    and a comment says which (docs/explanation/architecture.md)."""
    unexplained = [
        "%s:%d: %s" % (module, line, text.strip())
        for module, line, text in imports_inside_functions()
        if not says_why(MODULES[module], line)
    ]
    assert unexplained == []
