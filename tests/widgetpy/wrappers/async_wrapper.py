"""A new-API session wrapper that pushes one result per word from a thread of its own (the vendor's async style)."""

import queue
import threading

from python_wrapper import DataStatus, DataType, WrapperBase, WrapperData


class AsyncWords(WrapperBase):
    def __init__(self):
        self.sessions = {}

    def init(self, cfg):
        return 0

    def fini(self):
        return 0

    def version(self):
        return "1"

    def exec(self, usr_tag, params, data_list, psr_ids):
        size = int(params.get("size", "0"))
        data = b"z" * size if size else data_list[0].data.upper()
        code = self.async_callback(usr_tag, [WrapperData("text", data, DataType.TEXT, DataStatus.ONCE)])
        return [WrapperData("pushed", str(code))], 0

    def create(self, usr_tag, params, psr_ids):
        handle = params.get("sid", usr_tag)
        inbox = queue.Queue()
        done = threading.Event()
        self.sessions[handle] = (inbox, done)

        def work():
            seq = 0
            while True:
                words, last = inbox.get()
                for index, word in enumerate(words):
                    final = last and index == len(words) - 1
                    status = DataStatus.END if final else DataStatus.CONTINUE
                    item = WrapperData("result", word.upper(), DataType.TEXT, status, {"seq": str(seq)})
                    self.async_callback(handle, [item])
                    seq += 1
                if last:
                    done.set()
                    return

        threading.Thread(target=work, daemon=True).start()
        return handle, 0

    def write(self, handle, data_list):
        session = self.sessions.get(handle)
        if session is None:
            return -1
        for item in data_list:
            session[0].put((item.data.decode().split(), item.status in (DataStatus.END, DataStatus.ONCE)))
        return 0

    def read(self, handle):
        return [], 0

    def destroy(self, handle):
        session = self.sessions.pop(handle, None)
        if session is not None:
            session[1].wait(5)
        return 0
