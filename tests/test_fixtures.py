"""The committed binary fixtures are exactly what tests/make_fixtures.py generates."""

from __future__ import annotations

import struct
import subprocess
import sys
import wave
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "src" / "conformance" / "fixtures"


def test_committed_fixtures_match_the_generator() -> None:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "make_fixtures.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_png_and_wav_are_what_the_readme_says() -> None:
    png = (FIXTURES / "red-dot.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", png[16:24]) == (8, 8)
    with wave.open(str(FIXTURES / "beep.wav"), "rb") as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 8000)
        assert audio.getnframes() == 2000
