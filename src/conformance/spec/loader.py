"""Find, validate and resolve spec files into :class:`~conformance.spec.model.Spec` objects.

Every problem is collected with its ``file:line:col`` rather than raised one at a
time, so ``conformance lint`` can show them all and the other specs still load.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from conformance.bounded import clip
from conformance.data import package_dir
from conformance.spec.model import (
    Claim,
    Deviation,
    Doc,
    DocSource,
    Evidence,
    EvidenceKind,
    Location,
    Provider,
    Sdk,
    Spec,
    Status,
)
from conformance.spec.yamlmarks import InputError, Located, PathKey, Problem, load_located

SPEC_SUFFIXES = (".yaml", ".yml")
_RESOLVED_HEADER_KEYS = ("sdk", "base_url", "api_key_env", "default_model")


def builtin_specs_dir() -> Path:
    """The specs shipped with the harness, inside the package (``conformance/specs``)."""
    return package_dir("specs")


def builtin_provider_ids() -> list[str]:
    """The ids of the built-in specs (their file names), without reading them: markers need no more."""
    return sorted(path.stem for path in builtin_specs_dir().glob("*.yaml"))


@cache
def spec_schema() -> dict[str, Any]:
    """The JSON Schema every spec file must satisfy."""
    schema: dict[str, Any] = json.loads((builtin_specs_dir() / "schema.json").read_text(encoding="utf-8"))
    return schema


@cache
def _validator() -> Any:
    """The spec schema's validator, built (and its ``$ref``s resolved) once per process; no format checks."""
    schema = spec_schema()
    return jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)(
        schema, format_checker=None
    )


def find_spec_files(paths: Iterable[Path]) -> list[Path]:
    """Spec files named directly, or found recursively in folders, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file()))
        else:
            found.append(path)
    unique: dict[Path, None] = {}
    for path in found:
        unique.setdefault(path.resolve(), None)
    return list(unique)


@dataclass(frozen=True, slots=True)
class _Raw:
    """One spec file after YAML parsing and schema validation, before ``extends`` is resolved."""

    path: str
    located: Located

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.located.data
        return data

    @property
    def id(self) -> str:
        return str(self.data["provider"]["id"])

    def problem(self, at: PathKey, message: str, *, key: bool = False) -> Problem:
        line, col = self.located.key_where(at) if key else self.located.where(at)
        return Problem(self.path, line, col, message)


def _claim_label(data: Any, path: PathKey) -> str:
    if len(path) >= 2 and path[0] == "claims" and isinstance(path[1], int):
        try:
            return f"claim '{clip(str(data['claims'][path[1]]['id']), 80)}': "
        except (KeyError, IndexError, TypeError):
            return f"claim #{path[1] + 1}: "
    return ""


def _schema_problems(raw: _Raw) -> list[Problem]:
    validator = _validator()
    problems: list[Problem] = []
    for error in sorted(validator.iter_errors(raw.data), key=lambda e: list(map(str, e.absolute_path))):
        path: PathKey = tuple(error.absolute_path)
        label = _claim_label(raw.data, path)
        where = ".".join(str(p) for p in path) or "top level"
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = sorted(error.schema.get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed)):
                problems.append(
                    raw.problem(
                        (*path, key),
                        f"{label}unknown key '{clip(str(key), 80)}' in {where} (allowed: {', '.join(allowed)})",
                        key=True,
                    )
                )
            continue
        if error.validator == "enum":
            message = f"{label}{where}: {clip(repr(error.instance))} is not one of {', '.join(map(str, error.validator_value))}"
        elif error.validator == "required" and path and path[-1] == "params":
            status = raw.data["claims"][path[1]].get("status")
            message = f"{label}status '{status}' needs params: {error.message} (see docs/spec-format.md)"
        elif error.validator == "required" and len(path) == 2 and path[0] == "claims":
            if error.message == "'params' is a required property":
                status = raw.data["claims"][path[1]].get("status")
                message = f"{label}status '{status}' needs params (see docs/spec-format.md)"
            else:
                message = f"{label}{clip(error.message)}"
        elif error.validator == "oneOf" and path and path[-1] == "params":
            message = f"{label}status 'constant' needs params.value or params.length (exactly one)"
        else:
            message = f"{label}{where}: {clip(error.message)}"
        problems.append(raw.problem(path, message))
    return problems


def read_raw(path: Path) -> tuple[_Raw | None, list[Problem]]:
    """Parse and schema-check one file; return it only if it is usable."""
    try:
        located = load_located(path)
    except InputError as exc:
        return None, exc.problems
    raw = _Raw(str(path), located)
    if not isinstance(located.data, dict):
        return None, [raw.problem((), "a spec must be a YAML mapping with spec_version, provider and claims")]
    problems = _schema_problems(raw)
    if problems:
        return None, problems
    return raw, []


def _doc(data: dict[str, Any]) -> Doc:
    return Doc(url=data["url"], quote=data["quote"], source=data["source"])


def _deviation(data: dict[str, Any]) -> Deviation:
    ev = data["evidence"]
    return Deviation(
        summary=data["summary"],
        evidence=Evidence(
            kind=EvidenceKind(ev["kind"]),
            source=ev["source"],
            repository=ev.get("repository"),
            commit=ev.get("commit"),
            license=ev.get("license"),
        ),
    )


def _check_names() -> frozenset[str]:
    """The registered checks (imported late: the checks build on the spec model, not the other way round)."""
    import conformance.checks  # noqa: F401  (registers every check)
    from conformance.checks.registry import CHECKS

    return frozenset(CHECKS)


def _probe_names() -> list[str]:
    """The registered probes (imported late, like the checks: the probes build on the spec model)."""
    from conformance.providers.registry import names

    return names()


def _probes_like(name: str) -> list[str]:
    """The registered probes closest to a mistaken name first, then the others of its API."""
    from conformance.providers.registry import known_like

    return known_like(name)


def _claims_of(raw: _Raw) -> tuple[list[Claim], list[Problem]]:
    claims: list[Claim] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw.data["claims"]):
        at: PathKey = ("claims", index)
        cid = item["id"]
        prefix = f"{raw.id}.{item['location']}."
        if not cid.startswith(prefix):
            problems.append(raw.problem((*at, "id"), f"claim '{cid}': id must start with '{prefix}'"))
        if cid in seen:
            problems.append(raw.problem((*at, "id"), f"duplicate claim id '{cid}' (first at line {seen[cid]})"))
            continue
        line, _ = raw.located.where(at)
        seen[cid] = line
        check = item.get("check")
        if check is not None and check not in _check_names():
            known = ", ".join(sorted(_check_names()))
            problems.append(raw.problem((*at, "check"), f"claim '{cid}': no check named '{check}' (known: {known})"))
        probe = item.get("probe")
        if probe is not None and probe not in _probe_names():
            known = ", ".join(_probes_like(str(probe)))
            shown = clip(str(probe), 80)
            problems.append(raw.problem((*at, "probe"), f"claim '{cid}': unknown probe '{shown}' (known: {known})"))
        deviations = [_deviation(d) for d in item.get("deviations", [])]
        claims.append(
            Claim(
                id=cid,
                provider=raw.id,
                location=Location(item["location"]),
                field=item["field"],
                status=Status(item["status"]),
                doc=_doc(item["doc"]),
                params=dict(item.get("params") or {}),
                notes=item.get("notes", ""),
                deviations=tuple(d for d in deviations if d.evidence.kind is not EvidenceKind.IMPORTED),
                recorded_deviations=tuple(d for d in deviations if d.evidence.kind is EvidenceKind.IMPORTED),
                models=tuple(item.get("models", [])),
                markers=tuple(item.get("markers", [])),
                check=item.get("check"),
                probe=probe,
                origin=f"{raw.path}:{line}",
            )
        )
    return claims, problems


def _suffix(claim_id: str, provider_id: str) -> str:
    return claim_id[len(provider_id) + 1 :]


class _Resolver:
    def __init__(self, raws: dict[str, _Raw]) -> None:
        self.raws = raws
        self.done: dict[str, Spec] = {}
        self.problems: list[Problem] = []
        self.failed: set[str] = set()

    def resolve(self, spec_id: str, chain: tuple[str, ...] = ()) -> Spec | None:
        if spec_id in self.done:
            return self.done[spec_id]
        if spec_id in self.failed:
            return None
        raw = self.raws[spec_id]
        own, problems = _claims_of(raw)
        self.problems.extend(problems)
        header = dict(raw.data["provider"])
        parent: Spec | None = None
        parent_id = raw.data.get("extends")
        if parent_id is not None:
            if parent_id in (*chain, spec_id):
                loop = " -> ".join((*chain, spec_id, parent_id))
                self.problems.append(raw.problem(("extends",), f"'extends' makes a loop: {loop}"))
                self.failed.add(spec_id)
                return None
            if parent_id not in self.raws:
                known = ", ".join(sorted(self.raws)) or "none"
                self.problems.append(
                    raw.problem(
                        ("extends",), f"'extends: {parent_id}' names no spec (known: {known}); add it with --specs"
                    )
                )
                self.failed.add(spec_id)
                return None
            parent = self.resolve(parent_id, (*chain, spec_id))
            if parent is None:
                self.failed.add(spec_id)
                return None
            inherited = {
                "sdk": parent.provider.sdk.value,
                "base_url": parent.provider.base_url,
                "api_key_env": list(parent.provider.api_key_env),
                "default_model": parent.provider.default_model,
            }
            for key, value in inherited.items():
                header.setdefault(key, value)
            if "sources" not in header:
                header["sources"] = [
                    {"url": s.url, "title": s.title, "read_on": s.read_on, **({"seed": s.seed} if s.seed else {})}
                    for s in parent.provider.sources
                ]
        missing = [k for k in _RESOLVED_HEADER_KEYS if k not in header]
        if missing:
            self.problems.append(
                raw.problem(
                    ("provider",),
                    f"provider needs {', '.join(missing)} (or 'extends' a spec that has them)",
                )
            )
            self.failed.add(spec_id)
            return None
        claims = self._merge(raw, parent, own)
        reference_id = raw.data.get("reference")
        if reference_id is not None:
            reference = self._reference(raw, spec_id, reference_id, chain)
            if reference is None:
                self.failed.add(spec_id)
                return None
            claims = _undocumented(
                spec_id, claims, own, reference, inherited=reference_id == parent_id, base_url=header["base_url"]
            )
        provider = Provider(
            id=spec_id,
            title=header["title"],
            sdk=Sdk(header["sdk"]),
            base_url=header["base_url"],
            api_key_env=tuple(header["api_key_env"]),
            default_model=header["default_model"],
            description=header.get("description", ""),
            sources=tuple(
                DocSource(url=s["url"], title=s["title"], read_on=str(s["read_on"]), seed=s.get("seed"))
                for s in header.get("sources", [])
            ),
        )
        spec = Spec(
            spec_version=raw.data["spec_version"],
            provider=provider,
            claims=tuple(claims),
            path=raw.path,
            extends=parent_id,
        )
        self.done[spec_id] = spec
        return spec

    def _reference(self, raw: _Raw, spec_id: str, reference_id: str, chain: tuple[str, ...]) -> Spec | None:
        if reference_id in (*chain, spec_id):
            loop = " -> ".join((*chain, spec_id, reference_id))
            self.problems.append(raw.problem(("reference",), f"'reference' makes a loop: {loop}"))
            return None
        if reference_id not in self.raws:
            known = ", ".join(sorted(self.raws)) or "none"
            self.problems.append(
                raw.problem(
                    ("reference",), f"'reference: {reference_id}' names no spec (known: {known}); add it with --specs"
                )
            )
            return None
        return self.resolve(reference_id, (*chain, spec_id))

    def _merge(self, raw: _Raw, parent: Spec | None, own: list[Claim]) -> list[Claim]:
        excluded = list(raw.data.get("exclude", []))
        if parent is None:
            if excluded:
                self.problems.append(raw.problem(("exclude",), "'exclude' only makes sense with 'extends'"))
            return own
        child_id = raw.id
        by_suffix: dict[str, Claim] = {}
        for claim in parent.claims:
            suffix = _suffix(claim.id, parent.provider.id)
            by_suffix[suffix] = replace(claim, id=f"{child_id}.{suffix}", provider=child_id)
        for index, suffix in enumerate(excluded):
            if suffix not in by_suffix:
                self.problems.append(
                    raw.problem(
                        ("exclude", index), f"'exclude' names '{suffix}', which '{parent.provider.id}' does not have"
                    )
                )
            by_suffix.pop(suffix, None)
        for claim in own:
            by_suffix[_suffix(claim.id, child_id)] = claim
        return list(by_suffix.values())


_NOT_REFERENCED = frozenset({Location.AUTH, Location.PLATFORM, Location.LIMIT})
"""Where a reference's claims are facts of its own platform (its key variables, console, quotas), not behaviour
another API can share; these never become another spec's undocumented claims."""


def _addresses(claim: Claim, base_url: str) -> tuple[Location, str]:
    """What a claim addresses: its location and field (case-insensitive); an endpoint's path is read relative to its
    spec's base URL with parameter names dropped, so ``POST /v1beta/openai/files`` under ``.../v1beta/openai/``
    addresses what ``POST /v1/files`` does under ``.../v1/``."""
    field = claim.field.lower()
    if claim.location is Location.ENDPOINT:
        method, _, path = field.partition(" ")
        base = "/" + base_url.lower().split("://", 1)[-1].partition("/")[2]
        if path.startswith(base):
            path = path[len(base) :]
        field = f"{method} {re.sub(r'{[^}]*}', '{}', path.strip('/'))}"
    return claim.location, field


def _undocumented(
    spec_id: str, claims: list[Claim], own: list[Claim], reference: Spec, *, inherited: bool, base_url: str
) -> list[Claim]:
    """``claims`` plus, as status ``undocumented``, every reference claim this spec does not address: no claim of the
    same location and field (case-insensitive; an endpoint by its path under the base URL), or, when the spec also
    extends the reference, no override of it."""
    ref_id = reference.provider.id

    def undocumented(claim: Claim, suffix: str) -> Claim:
        documented = claim.reference_status if claim.status is Status.UNDOCUMENTED else claim.status
        return replace(
            claim,
            id=f"{spec_id}.{suffix}",
            provider=spec_id,
            status=Status.UNDOCUMENTED,
            reference=claim.reference or f"{ref_id}.{suffix}",
            reference_status=documented,
            deviations=(),
            check=claim.check,
            probe=claim.probe,
            notes=f"Not in {spec_id}'s own doc; {ref_id} documents it as {documented.value if documented else '?'}."
            + (f" {claim.notes}" if claim.notes else ""),
        )

    if inherited:
        own_ids = {claim.id for claim in own}
        return [
            claim
            if claim.id in own_ids or claim.location in _NOT_REFERENCED
            else undocumented(claim, _suffix(claim.id, spec_id))
            for claim in claims
        ]
    addressed = {_addresses(claim, base_url) for claim in claims}
    ids = {claim.id for claim in claims}
    extra = []
    for claim in reference.claims:
        suffix = _suffix(claim.id, ref_id)
        if claim.location in _NOT_REFERENCED or _addresses(claim, reference.provider.base_url) in addressed:
            continue
        if f"{spec_id}.{suffix}" in ids:
            continue
        extra.append(undocumented(claim, suffix))
    return claims + extra


@dataclass(frozen=True, slots=True)
class LoadResult:
    """The specs that loaded, and every problem found on the way."""

    specs: tuple[Spec, ...]
    problems: tuple[Problem, ...]
    files: tuple[str, ...]

    def claims(self) -> list[Claim]:
        return [claim for spec in self.specs for claim in spec.claims]

    def spec(self, provider_id: str) -> Spec:
        for spec in self.specs:
            if spec.provider.id == provider_id:
                return spec
        raise KeyError(provider_id)


def load_specs(extra: Sequence[Path] = (), *, include_builtin: bool = True) -> LoadResult:
    """Load the built-in specs plus ``extra`` files or folders, resolving ``extends``."""
    roots = ([builtin_specs_dir()] if include_builtin else []) + list(extra)
    problems: list[Problem] = []
    for root in extra:
        if not root.exists():
            problems.append(
                Problem(str(root), 1, 1, "no such spec file or folder (check --specs / [tool.conformance] specs)")
            )
    files = [p for p in find_spec_files(r for r in roots if r.exists())]
    raws: dict[str, _Raw] = {}
    for file in files:
        raw, file_problems = read_raw(file)
        problems.extend(file_problems)
        if raw is None:
            continue
        if raw.id in raws:
            first = raws[raw.id].path
            problems.append(raw.problem(("provider", "id"), f"provider id '{raw.id}' is already used by {first}"))
            continue
        raws[raw.id] = raw
    resolver = _Resolver(raws)
    specs = [s for s in (resolver.resolve(spec_id) for spec_id in sorted(raws)) if s is not None]
    problems.extend(resolver.problems)
    return LoadResult(specs=tuple(specs), problems=tuple(problems), files=tuple(str(f) for f in files))
