"""Many callers at once, as the loader sends them: every request gets its own answer, under its tag."""

import threading

import fakehost
from conftest import text


def test_32_concurrent_clients_each_get_their_own_answers(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("echo"), args=["--workers", "4"])
    assert plugin.init({}) == 0
    failures = []

    def client(number: int) -> None:
        channel = fakehost.grpc.insecure_channel(plugin.target)
        try:
            for index in range(10):
                tag = "c%02d-%02d" % (number, index)
                payload = ("%s:" % tag).encode() * (1 + number * 7)
                plugin.once(tag, text(payload), channel=channel)
                result = plugin.router.final(tag, 60)
                got = [(m.tag, m.ret, [i.data for i in m.list]) for m in result]
                if got != [(tag, 0, [payload])]:
                    failures.append((tag, got))
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append((number, repr(error)))
        finally:
            channel.close()

    threads = [threading.Thread(target=client, args=(number,)) for number in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert plugin.health() == "SERVING"


def test_concurrent_sessions_and_once_requests_do_not_mix_up_tags(echo):
    failures = []

    def session(number: int) -> None:
        sid = "sess-%02d" % number
        try:
            handle = echo.create(sid, {"cb": ["dto", "grpc", "handle"][number % 3]}).handle
            frames = [fakehost.node("t", b"%d-%d" % (number, step), 0, 2 if step == 2 else step) for step in range(3)]
            assert echo.write(handle, frames) == 0
            got = [i.data for m in echo.router.final(sid, 60) for i in m.list]
            if got != [b"%d-%d|%s" % (number, step, sid.encode()) for step in range(3)]:
                failures.append((sid, got))
            assert echo.destroy(handle) == 0
        except Exception as error:  # noqa: BLE001
            failures.append((sid, repr(error)))

    def once(number: int) -> None:
        tag = "once-%02d" % number
        if echo.exec_once(tag, text(tag.encode())).list[0].data != tag.encode():
            failures.append(tag)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(12)]
    threads += [threading.Thread(target=once, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []


def test_older_wrapper_signatures_work(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("legacy_signatures"))
    assert plugin.init({}) == 0  # Wrapper() takes no schema arguments: built without them
    assert plugin.exec_once("l1", text(b"x")).list[0].data == b"two-args:x"
    created = plugin.create("sid-l", tag="tag-l")
    assert (created.handle, created.err_code) == ("legacy-sid-l", 0)  # a bare str handle; userTag keyword
    assert plugin.write(created.handle, text(b"frame")) == 0  # wrapperWrite(handle, req): no sid parameter
    result = plugin.router.final("tag-l", 30)[-1]
    assert (result.ret, result.list[0].data) == (0, b"got:frame")


def test_a_wrapper_with_only_wrapper_once_exec_async_answers_through_callback(wrapper_dir, spawn):
    plugin = spawn(wrapper_dir("async_only"))
    assert plugin.init({}) == 0
    assert plugin.exec_once("a1", text(b"x")).list[0].data == b"async:x"
    refused = plugin.exec_once("a2", text(b"x"), {"mode": "refuse"})
    assert refused.ret == 9


def test_beyond_its_workers_and_queue_a_request_is_answered_at_once_with_queue_full(wrapper_dir, spawn, tmp_path):
    """The loader may admit more than the plugin runs: the plugin queues them, up to --queue; the
    next one gets ret 30004 at once (and its reason in the log), never an unbounded wait."""
    plugin = spawn(wrapper_dir("echo"), args=["--workers", "1", "--queue", "1"])
    assert plugin.init({}) == 0
    gate = tmp_path / "gate"
    plugin.once("running", text(b"x"), {"mode": "gate", "gate": str(gate)})
    plugin.once("waiting", text(b"x"), {"mode": "gate", "gate": str(gate)})
    refused = plugin.exec_once("refused", text(b"x"), timeout=10)
    assert refused.ret == 30004
    gate.write_text("open")
    for tag in ("running", "waiting"):
        assert plugin.router.final(tag, 60)[-1].list[0].data == b"gate opened"
    assert plugin.exec_once("after", text(b"again")).list[0].data == b"again"  # room again
    assert "queue is full" in plugin.stderr() and "--queue" in plugin.stderr()
