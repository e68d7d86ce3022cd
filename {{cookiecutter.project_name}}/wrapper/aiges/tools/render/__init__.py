"""``python -m aiges render`` / ``check``: schema.json, aiges.toml and xtest.toml from wrapper.py.

The three files are derived from one :class:`aiges.declarations.Declarations` (fields, service meta,
init config, implemented methods) plus the project's ``[tool.aiges]`` settings, so they cannot
disagree with each other or with the wrapper. Declarations are read statically with ``ast`` (no
import, so the user's heavy dependencies need not be installed); only a declaration that is not a
literal makes the reader import wrapper.py, in a subprocess. Both readers feed the same builder.

Modules: ``settings`` (project settings), ``static``/``evaluate`` (ast reader), ``imported`` (import
fallback), ``raw`` (the builder both readers share), ``reading`` (static first, then import),
``checks`` (what the loader or xtest would reject), ``schema_json``/``aiges_toml``/``xtest_toml``/
``samples`` (the outputs), ``outputs`` (atomic writes, diffs), ``project`` (locate and render),
``cli``/``check_cli`` (the commands).
"""
