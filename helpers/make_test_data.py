"""Write the sample inputs every generated project ships in ``wrapper/test_data/``.

The samples are committed; this script documents how they were made and lets a test prove they
are what they claim (``--check``). Only the standard library is used so that anyone can re-run it:
the PNG is encoded by hand with ``zlib``, the WAV with ``wave``. Outputs are deterministic.
"""

import argparse
import math
import struct
import sys
import wave
import zlib
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "{{cookiecutter.project_name}}" / "wrapper" / "test_data"

# File names inside test_data/ are conditional on the `example` answer (one sample per example).
NAMES = {"image": "sample.png", "audio": "sample.wav", "text": "sample.txt"}
TEMPLATE_NAMES = {
    example: f"{{% if cookiecutter.example == '{example}' %}}{name}{{% endif %}}" for example, name in NAMES.items()
}

PNG_WIDTH, PNG_HEIGHT = 64, 48
WAV_RATE, WAV_SECONDS, WAV_TONE_HZ, WAV_AMPLITUDE = 16000, 1.0, 440.0, 0.5

TEXT = (
    "AIGES turns a model into an inference service.\n"
    "This sample text is sent as the `text` input by `python -m aiges run`.\n"
    "It mixes scripts on purpose: 科大讯飞 AI 推理服务, café, naïve, Ελληνικά.\n"
    "The quick brown fox jumps over the lazy dog; the dog sleeps on.\n"
)


def png_pixels() -> List[bytes]:
    """RGB rows of a 64x48 gradient: red grows to the right, green downwards, blue diagonally."""
    rows = []
    for y in range(PNG_HEIGHT):
        row = bytearray()
        for x in range(PNG_WIDTH):
            row += bytes(
                (x * 255 // (PNG_WIDTH - 1), y * 255 // (PNG_HEIGHT - 1), (x + y) * 255 // (PNG_WIDTH + PNG_HEIGHT - 2))
            )
        rows.append(bytes(row))
    return rows


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def encode_png(rows: List[bytes], width: int, height: int) -> bytes:
    """A minimal truecolour PNG (8-bit RGB, filter 0 on every row)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")
    )


def decode_png_rows(data: bytes) -> List[bytes]:
    """Inverse of :func:`encode_png` (only what it writes: RGB, filter 0), for ``--check``."""
    position, idat = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind == b"IDAT":
            idat += data[position + 8 : position + 8 + length]
        position += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + 3 * PNG_WIDTH
    return [raw[offset + 1 : offset + stride] for offset in range(0, len(raw), stride)]


def wav_frames() -> bytes:
    """One second of a 440 Hz sine at half scale, 16 kHz mono 16-bit little-endian, with short fades."""
    count = int(WAV_RATE * WAV_SECONDS)
    fade = WAV_RATE // 100  # 10 ms ramps avoid clicks at both ends
    samples = []
    for index in range(count):
        envelope = min(1.0, index / fade, (count - 1 - index) / fade)
        value = WAV_AMPLITUDE * envelope * math.sin(2 * math.pi * WAV_TONE_HZ * index / WAV_RATE)
        samples.append(round(value * 32767))
    return struct.pack(f"<{count}h", *samples)


def write_wav(path: Path, frames: bytes) -> None:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(WAV_RATE)
        handle.writeframes(frames)


def expected() -> Dict[str, object]:
    return {"image": png_pixels(), "audio": wav_frames(), "text": TEXT.encode("utf-8")}


def write_all(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / TEMPLATE_NAMES["image"]).write_bytes(encode_png(png_pixels(), PNG_WIDTH, PNG_HEIGHT))
    write_wav(folder / TEMPLATE_NAMES["audio"], wav_frames())
    (folder / TEMPLATE_NAMES["text"]).write_bytes(TEXT.encode("utf-8"))


def check_all(folder: Path) -> List[str]:
    """Problems with the committed samples (content compared, not encoder bytes)."""
    problems = []
    want = expected()
    png = (folder / TEMPLATE_NAMES["image"]).read_bytes()
    if decode_png_rows(png) != want["image"]:
        problems.append("sample.png does not hold the expected gradient")
    with wave.open(str(folder / TEMPLATE_NAMES["audio"]), "rb") as handle:
        shape = (handle.getnchannels(), handle.getsampwidth(), handle.getframerate())
        frames = handle.readframes(handle.getnframes())
    if shape != (1, 2, WAV_RATE) or frames != want["audio"]:
        problems.append("sample.wav is not the expected 16 kHz mono 16-bit tone")
    if (folder / TEMPLATE_NAMES["text"]).read_bytes() != want["text"]:
        problems.append("sample.txt differs from the text in this script")
    return problems


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the committed samples instead of writing")
    parser.add_argument("--out", type=Path, default=TEST_DATA, help="folder to write (default: the template's)")
    args = parser.parse_args(argv)
    if args.check:
        problems = check_all(args.out)
        for problem in problems:
            print("make_test_data: " + problem, file=sys.stderr)
        return 1 if problems else 0
    write_all(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
