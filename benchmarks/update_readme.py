"""Copy the latest benchmark tables (benchmarks/results/*.md) into the README's performance section.

Run by ``nox -s bench`` after the benchmarks; ``--check`` exits 1 when the README is stale (a test
runs it), so the README always shows what the last committed run measured.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RESULTS = ROOT / "benchmarks" / "results"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
SECTIONS = (("grpc.md", "gRPC plugin server"), ("processes.md", "Process workers"), ("docker.md", "Docker image"))


def section_text() -> str:
    parts = []
    for name, title in SECTIONS:
        path = RESULTS / name
        if not path.is_file():
            continue
        body = path.read_text(encoding="utf-8").strip()
        lines = body.splitlines()
        if lines and lines[0].startswith("# "):  # the results file's own title becomes our sub-heading
            body = "\n".join(lines[1:]).strip()
        parts.append("### %s\n\n%s" % (title, body))
    return "\n\n".join(parts) or "_Run `nox -s bench` to fill this section._"


def updated_readme() -> str:
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return "%s%s\n%s\n%s%s" % (head, START, section_text(), END, tail)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the README's section is stale")
    args = parser.parse_args()
    wanted = updated_readme()
    if README.read_text(encoding="utf-8") == wanted:
        return 0
    if args.check:
        print("README.md's performance section is stale: run python benchmarks/update_readme.py", file=sys.stderr)
        return 1
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
