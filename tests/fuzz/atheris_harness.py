"""Coverage-guided fuzzing (atheris, libFuzzer) of the pure parsers of outside input.

Each target takes fuzzer bytes, feeds one parser, and lets only that parser's own refusal
through; anything else (KeyError, TypeError, IndexError, ...) is a crash that libFuzzer
reports with the input that caused it. Run one target::

    python -m tests.fuzz.atheris_harness TARGET [libFuzzer flags, e.g. -runs=100000 corpus/]

``tests/fuzz/test_atheris.py`` runs each target briefly in CI; Hypothesis covers the same
parsers by property in ``tests/fuzz/test_fuzz_parsers.py``.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import atheris

with atheris.instrument_imports(include=["domain", "bot.api"]):
    from pydantic import ValidationError

    from bot.api.complaints import Accept, Answer, Merge, Reject
    from bot.api.decisions import Close, Extend, Reopen
    from bot.api.items import NewItem
    from domain import callbacks
    from domain.complaints import ALPHABET, CODE_LENGTH, normalize_code
    from domain.dates import parse_day
    from domain.item_import import ItemImportError, parse_items_bytes
    from domain.policy import Policy, PolicyError, load_policy
    from domain.registration import parse_class, parse_source
    from domain.roster import Roster, RosterError, parse_roster_bytes

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAYS = (date(2026, 11, 23), date(2027, 3, 1), date(9998, 12, 31))
PREFIXES = frozenset({"tri", "cmp", "ack", "rep"})
API_BODIES = (NewItem, Accept, Merge, Reject, Answer, Close, Reopen, Extend)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
Target = Callable[[bytes], None]


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def chat_dates(data: bytes) -> None:
    """Dates and deadlines typed in chat; time classes and sources by name."""
    text = _text(data)
    for today in TODAYS:
        found = parse_day(text, today)
        assert found is None or isinstance(found, date)
    parse_class(text)
    parse_source(text)


def callback_data(data: bytes) -> None:
    """Button data comes back from Telegram as any string: parsed or BadCallback."""
    text = _text(data)
    for prefixes in (PREFIXES, None):
        try:
            parsed = callbacks.parse(text, prefixes=prefixes)
        except callbacks.BadCallback:
            continue
        for index in range(-1, 4):
            with contextlib.suppress(callbacks.BadCallback):
                assert isinstance(parsed.int_arg(index), int)


def receipt_codes(data: bytes) -> None:
    """A complaint's receipt code as typed: a normalised code or None, idempotent."""
    code = normalize_code(_text(data))
    if code is not None:
        assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
        assert normalize_code(code) == code


def roster_files(data: bytes) -> None:
    """A roster upload, YAML or Excel: a roster or RosterError listing its problems."""
    name = "roster.xlsx" if data.startswith(b"PK") else "roster.yaml"
    try:
        roster = parse_roster_bytes(data, name)
    except RosterError as error:
        assert error.problems
        return
    assert isinstance(roster, Roster)


def item_lists(data: bytes) -> None:
    """A batch registration workbook: rows or ItemImportError, never half an answer."""
    try:
        rows = parse_items_bytes(data, "items.xlsx", today=TODAYS[0], tz=SHANGHAI)
    except ItemImportError as error:
        assert error.problems
        return
    assert all(row.title for row in rows)


_POLICY_DIR = tempfile.TemporaryDirectory()
_POLICY = Path(_POLICY_DIR.name) / "policy.yaml"


def policy_files(data: bytes) -> None:
    """A policy file: merged over the defaults, or PolicyError naming the key and reason."""
    _POLICY.write_bytes(data)
    try:
        policy = load_policy(_POLICY)
    except PolicyError as error:
        assert str(error)
        return
    assert isinstance(policy, Policy)


def api_bodies(data: bytes) -> None:
    """JSON bodies of the API's POST routes (first byte picks the route): a model, or
    pydantic's ValidationError, which the API answers with a 422."""
    if not data:
        return
    model = API_BODIES[data[0] % len(API_BODIES)]
    try:
        model.model_validate_json(data[1:])
    except ValidationError:
        return


TARGETS: dict[str, Target] = {
    "chat_dates": chat_dates,
    "callback_data": callback_data,
    "receipt_codes": receipt_codes,
    "roster_files": roster_files,
    "item_lists": item_lists,
    "policy_files": policy_files,
    "api_bodies": api_bodies,
}


def seeds(target: str) -> list[bytes]:
    """Valid inputs to start from (libFuzzer mutates them rather than guess a format), and
    every input that once crashed this target (``regressions/TARGET-*``)."""
    found = sorted((EXAMPLES.parent / "tests" / "fuzz" / "regressions").glob(f"{target}-*"))
    return [path.read_bytes() for path in found] + _valid(target)


def _valid(target: str) -> list[bytes]:
    if target == "chat_dates":
        return [
            s.encode() for s in ("2026-12-31", "２０２６年１２月３１日", "12月31日", "2/29", "短期")
        ]
    if target == "callback_data":
        return [b"tri:17:accept", b"cmp:A1B2", b"ack:3", b"x:-1:2"]
    if target == "receipt_codes":
        return [b"ABCD-EFGH-JKMN-PQRS-TVWX", b"abcd efgh jkmn pqrs tvwx"]
    if target == "roster_files":
        return [(EXAMPLES / "roster.yaml").read_bytes(), (EXAMPLES / "roster.xlsx").read_bytes()]
    if target == "item_lists":
        return [(EXAMPLES / "items.xlsx").read_bytes()]
    if target == "policy_files":
        return [(EXAMPLES / "policy.yaml").read_bytes(), b"quiet_hours: {start: 22:00}"]
    item = (
        b'{"title": "t", "source": "leader", "class": "short", "lead_unit": "edu", '
        b'"co_units": ["health"], "due": "2026-12-31", "dispatch": true}'
    )
    return [bytes([index]) + item for index in range(len(API_BODIES))] + [
        b"\x05" + b'{"due": "2026-12-31", "reason": "r"}'
    ]


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: {argv[0]} {{{','.join(TARGETS)}}} [libFuzzer flags] [corpus dirs]")
    name, flags = argv[1], argv[2:]
    with tempfile.TemporaryDirectory() as corpus:
        if not any(not flag.startswith("-") for flag in flags):  # no corpus given: the seeds
            for number, seed in enumerate(seeds(name)):
                (Path(corpus) / f"seed-{number}").write_bytes(seed)
            flags.append(corpus)
        atheris.Setup([argv[0], *flags], TARGETS[name])
        atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
