"""The rendered ``[fc]`` admits ordinary traffic through a host that admits like the loader (spec 13.1).

The host reads ``[fc]`` from the aiges.toml that ``python -m aiges render`` writes, refuses with
10110 beyond ``max``, gives once licences back asynchronously (a little after the answer) and keeps
session licences until ``ttl`` has passed since the last frame, found by a sweep every ``roll`` ms.
Once traffic runs for real against a plugin started with the rendered ``pythonPluginCmd``; the
session-rate scenarios run on a simulated clock. The loader's own default, ``max = 1``, fails them.
"""

import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List

import fakehost
import pytest
from admission import LICENCE_REFUSED, Admission, FakeClock, Refused
from conftest import REPO, WRAPPERS, plugin_env

from tests.conftest import aiges_cli

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

SESSION_FIXTURE = REPO / "tests" / "render" / "fixtures" / "stream_audio"
WRAPPER_MS = "20"


def render(root: Path, settings: str = "") -> Dict[str, object]:
    """``python -m aiges render`` in ``root``; the rendered aiges.toml."""
    (root / "pyproject.toml").write_text('[tool.aiges]\nplugin_mode = "grpc"\n' + settings, encoding="utf-8")
    done = aiges_cli(root, "render", "-q", env=plugin_env())
    assert done.returncode == 0, done.stderr
    return tomllib.loads((root / "aiges.toml").read_text(encoding="utf-8"))


@pytest.fixture
def once_project(tmp_path: Path) -> Path:
    root = tmp_path / "slow"
    (root / "wrapper").mkdir(parents=True)
    shutil.copy(str(WRAPPERS / "slow" / "wrapper.py"), str(root / "wrapper" / "wrapper.py"))
    return root


@pytest.fixture
def loader(once_project: Path):
    """``loader(settings="")``: the project rendered with those settings, its plugin started with the
    rendered command (with our interpreter) behind the rendered admission."""
    started: List[fakehost.Plugin] = []

    def start(settings: str = "") -> fakehost.Plugin:
        config = render(once_project, settings)
        _, _, rest = config["aiges"]["pythonPluginCmd"].partition(" ")
        command = fakehost.shlex.quote(sys.executable) + " " + rest  # our interpreter for the image's
        plugin = fakehost.Plugin(command, str(once_project / "wrapper"), env=plugin_env())
        started.append(plugin)
        plugin.start().connect().open_communicate()
        assert plugin.init({"log.level": "info"}) == 0, plugin.stderr()
        plugin.admission = Admission.from_fc(config["fc"])
        return plugin

    yield start
    for plugin in started:
        if plugin.admission is not None:
            plugin.admission.close()
        plugin.close()


def send(plugin: fakehost.Plugin, client: int, count: int, codes: List[int]) -> None:
    for index in range(count):
        tag = "c%d-%d" % (client, index)
        answer = plugin.exec_once(tag, [fakehost.node("text", b"hi")], {"sleep_ms": WRAPPER_MS})
        codes.append(answer.ret)
        plugin.router.forget(tag)


def clients(plugin: fakehost.Plugin, parallel: int, each: int) -> List[int]:
    """``parallel`` clients, each sending ``each`` requests back to back; every answer's ret."""
    codes: List[int] = []
    threads = [threading.Thread(target=send, args=(plugin, client, each, codes)) for client in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(codes) == parallel * each
    return codes


# --- once traffic, for real ---------------------------------------------------------------------------


def test_a_sequential_keep_alive_client_is_never_refused(loader):
    codes = clients(loader(), 1, 200)
    assert codes.count(LICENCE_REFUSED) == 0 and set(codes) == {0}


@pytest.mark.parametrize("parallel, each", [(4, 25), (16, 10)])
def test_parallel_clients_are_never_refused(loader, parallel, each):
    plugin = loader()
    codes = clients(plugin, parallel, each)
    assert codes.count(LICENCE_REFUSED) == 0 and set(codes) == {0}
    assert plugin.admission.peak <= plugin.admission.max


def test_the_loaders_own_default_max_1_refuses_even_a_sequential_client(loader):
    """Why the template does not copy default.cfg's ``[fc] max = 1``: the licence of the previous
    answer is not back yet when the next request arrives (the host models the real loader here)."""
    plugin = loader("fc_max = 1\nworkers = 1\n")
    codes = clients(plugin, 1, 30)
    assert codes.count(LICENCE_REFUSED) > 0
    plugin.admission.settle()
    parallel = clients(plugin, 4, 5)
    assert parallel.count(LICENCE_REFUSED) >= 10  # 4 at once, 1 licence: most are refused


# --- sessions, on simulated time -----------------------------------------------------------------------

POLL_TAIL = 1.0  # the loader's result poller goes on ~1 s after the final frame (spec 13.1)


def session_traffic(admission: Admission, clock: FakeClock, seconds: int, duration: float) -> int:
    """One new session per second for ``seconds``; each sends frames for ``duration`` s, the loader
    polling its results every 50 ms until ``POLL_TAIL`` after the end. Returns how many were refused."""
    live: Dict[str, float] = {}  # sid -> end time
    refused = 0
    step = 0.05
    ticks_per_second = 20
    for tick in range(int(seconds * ticks_per_second)):
        clock.now = tick * step
        if tick % ticks_per_second == 0:
            sid = "s%d" % tick
            try:
                admission.open_session(sid)
                live[sid] = clock.now + duration + POLL_TAIL
            except Refused:
                refused += 1
        for sid, end in list(live.items()):
            if clock.now < end:
                admission.query(sid)
            else:
                admission.close_session(sid)
                del live[sid]
        admission.advance()
    return refused


def test_one_new_session_per_second_is_never_refused_with_the_default_render(tmp_path):
    root = tmp_path / "stream"
    shutil.copytree(str(SESSION_FIXTURE), str(root))
    fc = render(root)["fc"]
    clock = FakeClock()
    admission = Admission.from_fc(fc, clock=clock)
    assert session_traffic(admission, clock, seconds=120, duration=2.0) == 0
    assert admission.peak < admission.max  # with room to spare


def test_a_sessions_licence_comes_back_only_after_ttl_found_by_the_sweep():
    clock = FakeClock()
    admission = Admission(max=1, ttl=10000, roll=5000, clock=clock)
    admission.open_session("a")
    clock.now = 0.7
    admission.query("a")  # its last frame
    admission.close_session("a")  # the client is gone: nothing comes back yet
    back = None
    for tick in range(1, 400):
        clock.now = 0.7 + tick * 0.05
        try:
            admission.open_session("b")
        except Refused:
            continue
        back = clock.now - 0.7
        break
    assert back is not None and 10.0 <= back <= 15.0  # duration + ttl + up to roll


def test_max_16_is_at_its_limit_with_one_session_per_second():
    """Spec 13.1: max 16 / ttl 10000 took one new session per second without refusals, but at the
    limit (``NowLic:16,MaxLic:16``); the model agrees, and max 1 refuses nearly all."""
    clock = FakeClock()
    at_limit = Admission(max=16, ttl=10000, roll=5000, clock=clock)
    assert session_traffic(at_limit, clock, seconds=120, duration=1.0) == 0
    assert at_limit.peak >= 15  # each held 15-16 s: duration + poller tail + ttl + up to roll
    clock = FakeClock()
    assert session_traffic(Admission(max=1, ttl=10000, roll=5000, clock=clock), clock, 60, 1.0) > 40


# --- sessions on a real plugin, on the real clock (short ttl and roll) -----------------------------------


def run_session(plugin: fakehost.Plugin, sid: str) -> int:
    """One echo session of three frames; the create's err_code (10110 when the host refused it)."""
    created = plugin.create(sid, {"cb": "grpc"})
    if created.err_code:
        return created.err_code
    frames = [fakehost.node("t", b"%d" % step, 0, 2 if step == 2 else step) for step in range(3)]
    assert plugin.write(created.handle, frames) == 0
    assert plugin.router.final(sid, 60)
    assert plugin.destroy(created.handle) == 0
    return 0


def test_a_finished_sessions_licence_comes_back_only_after_ttl(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"))
    assert plugin.init({}) == 0
    plugin.admission = Admission(max=1, ttl=300, roll=100)
    assert run_session(plugin, "first") == 0
    assert run_session(plugin, "second") == LICENCE_REFUSED  # the first is over, its licence is not back
    deadline = time.monotonic() + 5
    while plugin.admission.in_use and time.monotonic() < deadline:
        time.sleep(0.05)
        plugin.admission.advance()
    assert run_session(plugin, "third") == 0  # after ttl + up to roll


def test_back_to_back_sessions_are_admitted_with_the_default_render(wrapper_dir, spawn, tmp_path):
    root = tmp_path / "stream"
    shutil.copytree(str(SESSION_FIXTURE), str(root))
    plugin = spawn(wrapper_dir("echo"))
    assert plugin.init({}) == 0
    plugin.admission = Admission.from_fc(render(root)["fc"])
    assert [run_session(plugin, "s%d" % index) for index in range(30)] == [0] * 30
    assert plugin.admission.in_use == 30  # all still held until their ttl: why max must be well above 1
