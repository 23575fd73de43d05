"""Recordings of real LLM API traffic made by other projects (VCR cassettes, httprr traces), read as Attempts.

See :mod:`conformance.recordings.reader` for reading, :mod:`conformance.recordings.formats` for the
formats, and :mod:`conformance.recordings.attribution` for which API an exchange hit and where a file came from.
"""

from __future__ import annotations

from conformance.recordings.attribution import Source, api_of, on_loopback, read_sources, source_rows
from conformance.recordings.formats import FORMATS, FormatError
from conformance.recordings.reader import (
    Interaction,
    Recording,
    RecordingError,
    find_recordings,
    read_all,
    read_recording,
)

__all__ = [
    "FORMATS",
    "FormatError",
    "Interaction",
    "Recording",
    "RecordingError",
    "Source",
    "api_of",
    "find_recordings",
    "on_loopback",
    "read_all",
    "read_recording",
    "read_sources",
    "source_rows",
]
