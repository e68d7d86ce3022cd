"""Line numbers of class statements and class attributes in wrapper.py, for messages only.

Both ways of reading a wrapper (importing it, or render's static reader) name the line of a bad
declaration; an imported class does not know its lines, so they are looked up in the source.
"""

import ast
import io
import tokenize
from typing import Dict, Tuple

LineIndex = Dict[Tuple[str, str], int]


def read_source(path: str) -> str:
    """A Python file's text, honouring a PEP 263 encoding line as Python would."""
    with open(path, "rb") as handle:
        data = handle.read()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


def line_index(source: str) -> LineIndex:
    """(class, attribute) -> line of its last assignment, and (class, "") -> line of the class statement."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    index: LineIndex = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        index[(node.name, "")] = node.lineno
        for statement in node.body:
            targets = (
                statement.targets
                if isinstance(statement, ast.Assign)
                else ([statement.target] if isinstance(statement, ast.AnnAssign) else [])
            )
            for target in targets:
                if isinstance(target, ast.Name):
                    index[(node.name, target.id)] = statement.lineno
    return index


def file_line_index(path: str) -> LineIndex:
    """:func:`line_index` of the file at ``path`` (empty when it cannot be read)."""
    try:
        return line_index(read_source(path))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return {}
