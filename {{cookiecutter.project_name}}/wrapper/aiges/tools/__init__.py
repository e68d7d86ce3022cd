"""Developer tools (render, check, local run, build, gateway): not needed by the loader at run time."""
