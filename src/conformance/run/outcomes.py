"""Why a case has no verdict: the exceptions of the ``error`` outcome, each with a one-paragraph report.

A case ends in one of three ways: a verdict on the claim (pass, or :class:`~conformance.checks.registry.
ConformanceFailure`: the provider's ``fail``), "could not tell" (``CouldNotTell``), or no verdict at all — the
``error`` outcome, raised as a :class:`CaseError`: the provider gave no usable answer
(:class:`~conformance.providers.base.ProbeError`), a cassette cannot be used, or the harness itself crashed
(:class:`HarnessBug`). pytest shows a ``CaseError`` as ERROR (it is raised while the case's evidence is gathered,
in its fixture's setup), never FAILED, and prints :meth:`CaseError.report` instead of a traceback: tracebacks print
frame arguments, which is how keys leak.
"""

from __future__ import annotations

import sysconfig
import traceback
from pathlib import Path

from conformance.errors import ConformanceError
from conformance.exchange.model import Attempt, mask_text, trim
from conformance.exchange.secret import Secrets

PACKAGE = Path(__file__).resolve().parent.parent
CAME_BACK_CHARS = 240
"""How much of the last answer an error's report shows."""


class CaseError(ConformanceError):
    """The case got no verdict on its claim: outcome ``error``, pytest ERROR. The message is the reason."""

    def report(self, secrets: Secrets = ()) -> str:
        """What pytest prints for the case: one paragraph, keys masked."""
        return f"error: {mask_text(str(self), secrets)}"


class AttemptsError(CaseError):
    """An error about a call that went over the wire: its report lists the attempts (status, wait, time) and the
    start of what came back."""

    def __init__(self, message: str, label: str = "", attempts: list[Attempt] | None = None) -> None:
        super().__init__(message)
        self.label = label
        self.attempts: list[Attempt] = list(attempts or [])

    def report(self, secrets: Secrets = ()) -> str:
        lines = [super().report(secrets)]
        if self.attempts:
            steps = "; ".join(_step(n, a, secrets) for n, a in enumerate(self.attempts, 1))
            lines.append(f"  attempts ({len(self.attempts)}): {steps}")
        answered = [a.response for a in self.attempts if a.response is not None and a.response.body]
        shown = trim(mask_text(answered[-1].body, secrets), CAME_BACK_CHARS) if answered else ""
        if shown and shown[:60] not in str(self):  # the reason may quote it already
            lines.append(f"  came back: {shown!r}")
        return "\n".join(lines)


def _step(number: int, attempt: Attempt, secrets: Secrets) -> str:
    wait = f"after {attempt.waited_s:g} s wait, " if attempt.waited_s else ""
    if attempt.response is not None:
        kind = attempt.response.headers.get("content-type", "no content-type").split(";")[0]
        got = f"HTTP {attempt.response.status} {kind}"
        if attempt.error:
            got += f", then {mask_text(attempt.error, secrets)}"
    else:
        got = trim(mask_text(attempt.error or "no answer", secrets), 160)
    return f"#{number} {wait}{got} ({attempt.elapsed_ms:.0f} ms)"


class HarnessBug(CaseError):
    """Our own code raised something that is none of the outcomes above: the case's ``error``, never the
    provider's ``fail``. The message names the exception and where it was raised; the report adds the stack
    (file, line and source of each frame, never argument values)."""

    def __init__(self, exc: BaseException) -> None:
        self.original = exc
        self.where = origin(exc)
        super().__init__(f"harness bug: {type(exc).__name__}: {exc} ({self.where})")

    def report(self, secrets: Secrets = ()) -> str:
        stack = "".join(traceback.format_exception(type(self.original), self.original, self.original.__traceback__))
        body = "\n".join(f"  {line}" for line in mask_text(stack, secrets).rstrip().splitlines())
        return f"{super().report(secrets)}\n  please report it with this stack:\n{body}"


def origin(exc: BaseException) -> str:
    """``file:line`` where ``exc`` was raised: the innermost frame of code of ours (this package, a probe or check
    a test put in, a plugin) rather than of a library (the SDKs, httpx2, the standard library); paths inside the
    package are shown from ``conformance/``."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown location"
    ours = [f for f in frames if not _library(f.filename)]
    frame = (ours or frames)[-1]
    return f"{_shown(frame.filename)}:{frame.lineno}"


LIBRARY_ROOTS = tuple(
    Path(p).resolve() for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]} if p
)


def _library(filename: str) -> bool:
    path = Path(filename).resolve()
    if path.is_relative_to(PACKAGE):
        return False
    return "site-packages" in path.parts or any(path.is_relative_to(root) for root in LIBRARY_ROOTS)


def _shown(filename: str) -> str:
    path = Path(filename).resolve()
    return str(path.relative_to(PACKAGE.parent)) if path.is_relative_to(PACKAGE) else filename
