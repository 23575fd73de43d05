"""The closed vocabularies and defaults the options need, in a module that imports nothing heavy: the plugin
registers its options in every pytest run of every project it is installed in, so this is all it loads then."""

from __future__ import annotations

import enum


class RecordMode(str, enum.Enum):
    """VCR.py's record modes (``vcr/record_mode.py``): what a live run does with cassettes."""

    NONE = "none"  # never write; replay what exists (offline) or send live
    ONCE = "once"  # write a case's cassette when it has none; replay it when it has one
    NEW_EPISODES = "new_episodes"  # replay what matches, send the rest and append it
    ALL = "all"  # send everything and rewrite every cassette


RECORD_MODES = tuple(mode.value for mode in RecordMode)
DEFAULT_RETRIES = 3
DEFAULT_RETRY_CAP = 60.0
DEFAULT_CONCURRENCY = 4
