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
