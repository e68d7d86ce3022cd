"""Data types and statuses shared by the loader, the C wrapper and the gRPC protocol.

The numeric values are part of the wire contract (docs/reference/runtime-api.md#types): never renumber them.
"""

# Data types of a payload node.
DataText = 0
DataAudio = 1
DataImage = 2
DataVideo = 3
DataPer = 4  # personalisation data (wrapperLoadRes); the vendor SDK lacks it

STRING = DataText
AUDIO = DataAudio
IMAGE = DataImage
VIDEO = DataVideo

# Status of a payload node within a request or a session.
DataBegin = 0
DataContinue = 1
DataEnd = 2
DataOnce = 3
Once = DataOnce

THREAD_MODE = "thread"
PROCESS_MODE = "process"

Types = {DataText: "text", DataAudio: "audio", DataImage: "image", DataVideo: "video"}
Status = {DataBegin: "begin", DataContinue: "continue", DataEnd: "end", DataOnce: "once"}

# Name -> type number, as the vendor's ``type_map``.
type_map = {name: number for number, name in Types.items()}

__all__ = [
    "AUDIO",
    "IMAGE",
    "PROCESS_MODE",
    "STRING",
    "THREAD_MODE",
    "VIDEO",
    "DataAudio",
    "DataBegin",
    "DataContinue",
    "DataEnd",
    "DataImage",
    "DataOnce",
    "DataPer",
    "DataText",
    "DataVideo",
    "Once",
    "Status",
    "Types",
    "type_map",
]
