"""``[tool.aiges] log_file``: the plugin's own log file, passed to the runtime through ``[wrapper]``."""

import pytest
from aiges.errors import DeclarationError
from aiges.tools.render.options import settings_from_table
from aiges.utils.logfile import DEFAULT_PATH

from .test_settings import documents


def test_the_default_is_the_vendors_path_and_renders_no_line(project):
    assert settings_from_table({}).log_file == DEFAULT_PATH == "/log/app/wrapper.log"
    assert "log.file" not in documents(project("once_text"))["aiges.toml"]["wrapper"]


@pytest.mark.parametrize("value", ["./log/app/plugin.log", ""])
def test_another_path_or_none_reaches_wrapper_init_through_the_wrapper_section(project, value):
    settings = 'log_file = "%s"\n' % value
    assert documents(project("once_text", settings=settings))["aiges.toml"]["wrapper"]["log.file"] == value


@pytest.mark.parametrize("value", [" /log/x.log", "/log/a\nb.log", 5])
def test_a_bad_log_file_is_named(value):
    with pytest.raises(DeclarationError) as caught:
        settings_from_table({"log_file": value}, source="pyproject.toml")
    assert "log_file must be" in str(caught.value)
