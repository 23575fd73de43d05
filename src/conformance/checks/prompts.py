"""The tiny prompts probes send. Each is built so the documented behaviour and its absence answer differently.

The fake servers in ``tests/fakes`` key on these exact strings; change both together.
"""

from __future__ import annotations

BASIC = "Reply with the single word OK."
COUNT = "Count from 1 to 20, separated by single spaces, and write nothing else."
SECRET_WORD = "PAPAYA"
SECRET_SYSTEM = f"The secret word is {SECRET_WORD}."
SECRET_QUESTION = "What is the secret word? Answer with the word only."
TOOLS = "What is the weather in Paris and the local time in Tokyo? Use the tools for both."
JSON_EVENT = "John and Susan are going to an AI conference on Friday. Extract the event."
IMAGE = "What colour is this image? Answer with one word."
AUDIO = "Describe this audio in five words or fewer."
THINK = "What is 17 * 23? Answer with the number only."
EMBED = "conformance probe"
COUNT_STOP = "7"
CODE_WORDS = ("MANGO", "QUINCE")
CODE_WORD_SYSTEM = f"The first code word is {CODE_WORDS[0]}."
CODE_WORD_DEVELOPER = f"The second code word is {CODE_WORDS[1]}."
CODE_WORD_QUESTION = "What are the first and the second code word? Answer with the two words only."
CACHE_FILLER = (
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima",
    "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
    "xray", "yankee", "zulu",
)  # fmt: skip
"""Words of one token each, cycled into a reference text long enough to be cacheable."""


def cacheable_text(tokens: int) -> str:
    """A fixed reference text of at least ``tokens`` tokens (one word is at least one token; 5 % margin)."""
    count = tokens + tokens // 20
    return "Reference text: " + " ".join(CACHE_FILLER[i % len(CACHE_FILLER)] for i in range(count))
