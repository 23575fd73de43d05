"""The one exception tree: every exception class the package defines derives from :class:`ConformanceError`.

The classes themselves live next to the code that raises them (and are imported from there); this module holds
only the base and its groups::

    ConformanceError
    ├── UserInputError      bad input the user must fix; the message names the file / option and what to write
    │                       (InputError, ConfigError, OptionError, HarnessError, CheckError, OutputError,
    │                       CassetteError, RecordingError, FormatError, LimitExceeded, ReportError)
    ├── NoAnswer            a request that got no usable answer from the server
    │                       (RetryableStatus, ResponseBroken, RetriesExhausted: also ``httpx2.TransportError``)
    ├── CheckSignal         a check or probe that ends without a pass: ConformanceFailure (also an
    │                       ``AssertionError``), CouldNotTell, NotTestable, NotReissuable
    └── CaseError           a case with no verdict, outcome ``error`` (AttemptsError, ProbeError, HarnessBug)

A class that must also be a built-in or library exception (``ValueError``, ``AssertionError``,
``httpx2.TransportError``) derives from both, so the handlers that catch it by that type keep working.
``tests/test_errors.py`` walks every module of the package and checks that no exception class is left outside.
"""

from __future__ import annotations


class ConformanceError(Exception):
    """Base of every exception the conformance package defines; ``except ConformanceError`` catches ours only."""


class UserInputError(ConformanceError):
    """Input the user must fix (a spec, ``[tool.conformance]``, an option, an output path, a recording, a cassette,
    a results file): the message names where the problem is and what to do, and is shown without a traceback."""


class NoAnswer(ConformanceError):
    """A request that got no usable answer: a status to retry, a broken body, retries exhausted."""


class CheckSignal(ConformanceError):
    """Raised to end a check or a probe without a pass: the claim fails, the evidence cannot tell, the claim is not
    testable, or a recorded request cannot be re-issued. The message is the reason the results file keeps."""
