"""The starting spec written by ``conformance init``."""

from __future__ import annotations

import re
from datetime import date

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")

TEMPLATE = """\
# Conformance spec for {name}: the documented claims about your server.
# Format: docs/spec-format.md in the conformance harness; schema: specs/schema.json.
# Check it with:   conformance lint {filename}
# See the result:  conformance specs --specs {filename} --provider {name}
spec_version: 1

# Inherit every claim of the '{parent}' spec; list below only what differs.
extends: {parent}

# Inherited claims you do not restate below are not in your docs: they run as `undocumented`
# ("behaves as {parent}" / "differs from {parent}: ..."), never as your server failing its docs.
# Delete this line to make every inherited claim a documented promise of your server.
reference: {parent}

# Inherited claims your server does not have at all (id without the provider prefix).
# exclude:
#   - request.logit_bias

provider:
  id: {name}                      # lower-case letters, digits and dashes; prefix of every claim id
  title: {name}                   # shown in reports
  # Anything left out here is taken from '{parent}':
  # sdk: openai                   # openai | anthropic | google-genai: the SDK the probes use
  # base_url: http://127.0.0.1:8000/v1/   # or pass --base-url {name}=URL
  # api_key_env: [MY_GATEWAY_KEY] # env vars holding the key, highest precedence first
  # default_model: my-model       # or pass --model {name}=MODEL
  # sources:                      # the documents your claims come from
  #   - url: https://wiki.example/gateway
  #     title: Gateway docs
  #     read_on: "{today}"

claims:
  # A claim with the same id suffix as an inherited one replaces it.
  # Example: this server accepts 'seed' but ignores it.
  - id: {name}.request.seed        # <provider>.<location>.<slug>
    location: request              # request, message, tool, response, stream, usage, request_header,
                                   # header, error, endpoint, behavior, auth, limit, platform
    field: seed                    # dotted path; [] for arrays, e.g. choices[].message.refusal
    status: ignored                # supported, partial, ignored, capped, must_equal, constant,
                                   # always_empty, unsupported, required, mapped, limited, exclusive, beta
    # params: {{max: 1}}            # what the status needs, e.g. capped -> max, must_equal -> value
    doc:
      url: https://wiki.example/gateway#seed   # where it is written down
      source: Gateway docs                     # the document's name
      quote: "seed is accepted and ignored"    # a short verbatim quote
    notes: Replace this example with your server's real claims.
"""


def render_template(name: str, parent: str, filename: str) -> str:
    """A commented starting spec named ``name`` that extends ``parent``."""
    if not _ID.match(name):
        raise ValueError(f"'{name}' is not a valid spec id: use lower-case letters, digits and dashes")
    return TEMPLATE.format(name=name, parent=parent, filename=filename, today=date.today().isoformat())
