"""SIGTERM and SIGINT that arrive after the handshake but before the server's own handlers: kept, not fatal.

``aiges.serve`` prints the go-plugin handshake before it imports the rest of the runtime, and a host
may stop the plugin at any moment after that line (go-plugin's Kill does). Python's default SIGTERM
action would end the process at once, with no cleanup: the unix socket's directory would stay behind
and the exit status would be -15. ``remember()`` is called before the handshake; ``lifecycle.serve``
then stops as soon as it is ready if a signal came in the meantime.
"""

import signal  # and nothing else: this runs before the handshake (typing alone costs milliseconds)

received: list[int] = []  # the signals seen so far, in order


def remember() -> None:
    """From the main thread, before the handshake: note SIGTERM/SIGINT instead of dying of them."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _note)


def _note(signum: int, _frame: object) -> None:
    received.append(signum)
