"""Running ``conformance`` on hostile input in a child process with a memory cap and a time-out, measuring it.

Shared by ``test_hostile_inputs.py`` (bombs, NUL bytes, deep nesting, bad output paths) and ``test_fuzz.py``.
A wrapper process runs the command, so ``RUSAGE_CHILDREN`` holds that one command's peak memory and CPU time
(the test process's own children, from other tests, would blur it).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOOD_CASSETTE = ROOT / "tests" / "data" / "recordings" / "pytest-recording" / "test_chat_gzip.yaml"
MEMORY_CAP = 1 << 30
"""Address space the command may map (the SDKs alone map a few hundred MB); a bomb used to take 9.5 GB."""
TIME_OUT = 120.0
"""A hang guard, far above any honest run on a loaded machine."""

_WRAPPER = """
import json, resource, subprocess, sys
cap, time_out, command = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
try:
    done = subprocess.run(command, preexec_fn=limit, capture_output=True, text=True, timeout=time_out)
    code, out, err = done.returncode, done.stdout, done.stderr
except subprocess.TimeoutExpired:
    code, out, err = "timeout", "", ""
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "out": out, "err": err, "kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime}))
"""


@dataclass(frozen=True)
class Ran:
    code: int | str  # "timeout" when it had to be stopped
    out: str
    err: str
    peak_mb: float
    cpu_s: float

    def answered(self, code: int) -> bool:
        """Ended by itself with ``code``, without a traceback."""
        return self.code == code and not self.crashed

    @property
    def crashed(self) -> bool:
        """A traceback, a time-out, or death by a signal (negative code): never an answer to bad input."""
        return self.code == "timeout" or "Traceback" in self.err or (isinstance(self.code, int) and self.code < 0)


def conformance(*args: str | Path, cwd: Path, time_out: float = TIME_OUT) -> Ran:
    """``python -m conformance ARGS`` in ``cwd``, capped at :data:`MEMORY_CAP`, stopped after ``time_out``."""
    command = [sys.executable, "-m", "conformance", *map(str, args)]
    wrapper = [sys.executable, "-c", _WRAPPER, str(MEMORY_CAP), str(time_out), *command]
    done = subprocess.run(wrapper, cwd=cwd, capture_output=True, text=True, timeout=time_out + 30)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return Ran(report["code"], report["out"], report["err"], report["kb"] / 1024, report["cpu"])


def cassette_with_body(body: bytes, encoding: str, text: str | None = None) -> str:
    """The good cassette with its response body replaced by ``body`` (as !!binary) under ``content-encoding``."""
    good = text if text is not None else GOOD_CASSETTE.read_text(encoding="utf-8")
    b64 = base64.encodebytes(body).decode("ascii").strip().replace("\n", "\n        ")
    start = good.index("!!binary |\n") + len("!!binary |\n")
    end = good.index("    headers:", start)
    return (
        good[:start]
        + "        "
        + b64
        + "\n"
        + good[end:].replace("- gzip\n      Content-Type", f"- {encoding}\n      Content-Type")
    )


def gzip_bomb(expanded: int = 1 << 30) -> bytes:
    """About 1 MB of gzip that expands to ``expanded`` zero bytes."""
    stream = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    return b"".join(stream.compress(chunk) for _ in range(expanded >> 20)) + stream.flush()


def alias_bomb_spec(levels: int = 9) -> str:
    """A small spec whose aliases expand to 9 ** levels values (a billion laughs)."""
    lines = [
        "spec_version: 1",
        "provider:",
        "  id: bomb",
        '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    lines += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    lines += ["claims:", f"- params: *a{levels - 1}"]
    return "\n".join(lines) + "\n"
