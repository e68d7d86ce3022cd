"""wrapper.py that cannot be imported: the server must answer Ret 30001."""
import a_module_that_does_not_exist  # noqa: F401
