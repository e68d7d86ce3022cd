"""The site builds with ``mkdocs build --strict`` and the performance page shows the latest results.

Benchmark tables (benchmarks/results/*.md, written by ``nox -s bench``) are pulled into
docs/performance.md at build time by the include hook (docs/_hooks/includes.py), so the page can
never lag behind them; these tests pin that mechanism down.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from docs_runner import DOCS, REPO

HOOK_FILE = DOCS / "_hooks" / "includes.py"
RESULTS = REPO / "benchmarks" / "results"


def load_hook():
    spec = importlib.util.spec_from_file_location("docs_includes_hook", HOOK_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(REPO / "mkdocs.yml"),
            "--site-dir",
            str(out),
        ],
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr}"
    return out


def test_site_builds_strictly(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "reference" / "cli" / "index.html").is_file()


def test_hook_sources_are_not_published(site: Path) -> None:
    assert not (site / "_hooks").exists()


def test_every_page_is_in_the_navigation() -> None:
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    pages = [path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md") if "_hooks" not in path.parts]
    missing = [page for page in pages if page not in nav]
    assert not missing, f"pages missing from mkdocs.yml nav: {missing}"


def test_include_expands_matching_files_in_order_with_shifted_headings(tmp_path: Path) -> None:
    hook = load_hook()
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "b.md").write_text("# B\n\n| x |\n| - |\n| 2 |\n", encoding="utf-8")
    (tmp_path / "r" / "a.md").write_text("# A\n```\n# not a heading\n```\n", encoding="utf-8")
    out = hook.expand("before\n<!-- include: r/*.md shift=1 -->\nafter\n", str(tmp_path))
    assert out.index("## A") < out.index("## B")
    assert "# not a heading" in out and "## not a heading" not in out
    assert "*Source: `r/a.md`*" in out and out.endswith("after\n")


def test_include_without_matches_says_how_to_produce_them(tmp_path: Path) -> None:
    out = load_hook().expand('<!-- include: none/*.md none="Run `nox -s bench`." -->\n', str(tmp_path))
    assert "No file matches `none/*.md`. Run `nox -s bench`." in out


def test_performance_page_includes_the_benchmark_results() -> None:
    text = (DOCS / "performance.md").read_text(encoding="utf-8")
    included = load_hook().INCLUDE.findall(text)
    assert any(arguments.startswith("benchmarks/results/") for arguments in included), included


def test_published_performance_page_shows_every_results_file(site: Path) -> None:
    files = sorted(RESULTS.glob("*.md")) if RESULTS.is_dir() else []
    if not files:
        pytest.skip("waiting for benchmark results (nox -s bench writes benchmarks/results/*.md)")
    html = (site / "performance" / "index.html").read_text(encoding="utf-8")
    for path in files:
        assert f"benchmarks/results/{path.name}" in html, f"{path.name} is not on the performance page"
