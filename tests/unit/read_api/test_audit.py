"""The audit logic without I/O: as_of parsing, what a history query asks, how an event is
shown (personal data opened or erased, secrets withheld), which submissions rank."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from commands import competitions
from commands.submissions import Status, SubmissionState
from eventstore.hashing import GENESIS
from eventstore.records import RawEvent
from eventstore.vault import ERASED, PREFIX
from read_api import audit
from read_api.audit import AsOf, History, Opener
from read_api.routes.audit import aware, clean_text, parse_as_of
from write_api.problems import ProblemError

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", AsOf(position=0)),
        ("123456789", AsOf(position=123456789)),
        (" 42 ", AsOf(position=42)),
        ("2026-03-01T12:00:00Z", AsOf(time=NOW)),
        ("2026-03-01T17:00:00+05:00", AsOf(time=NOW)),
        ("2026-03-01T17:00:00 05:00", AsOf(time=NOW)),  # a '+' a query string turned into ' '
        ("2026-03-01 12:00:00.000+00:00", AsOf(time=NOW)),
        (None, AsOf()),
    ],
)
def test_as_of_is_a_position_or_a_time_with_a_timezone(text: str | None, expected: AsOf) -> None:
    found = parse_as_of(text)

    assert found == expected
    if found.time is not None:
        assert found.time.utcoffset() is not None


@pytest.mark.parametrize(
    "text", ["", "-1", "1.5", "yesterday", "2026-03-01T12:00:00", "2026-13-01T00:00:00Z",
             "9" * 19, "1" * 40, "\x00"],
)  # fmt: skip
def test_any_other_as_of_is_a_422_naming_the_field(text: str) -> None:
    with pytest.raises(ProblemError) as raised:
        parse_as_of(text)

    assert raised.value.status == 422 and raised.value.field == "as_of"


def test_nul_characters_and_naive_times_are_refused_before_postgresql_sees_them() -> None:
    with pytest.raises(ProblemError):
        clean_text("team-\x00", "stream")
    with pytest.raises(ProblemError):
        aware(datetime(2026, 1, 1), "from")
    assert clean_text(None, "stream") is None
    assert aware(NOW, "from") == NOW


def statement(history: History) -> str:
    return audit.history_query(history)[0].as_string(None)


def test_a_history_query_holds_only_the_filters_asked() -> None:
    plain = statement(History())
    filtered = statement(
        History(stream="team-1", types=("TeamCreated",), actor=uuid4(), since=NOW, until=NOW,
                correlation=uuid4(), up_to=9, safe=False, limit=7)
    )  # fmt: skip

    assert "safe_position_limit" in plain and "stream_id =" not in plain and "LIMIT 100" in plain
    assert "safe_position_limit" not in filtered
    clauses = ("stream_id =", "event_type = ANY", "'actor_id'", "'correlation_id'",
               "recorded_at >=", "recorded_at <=", "global_position <=", "LIMIT 7")  # fmt: skip
    for clause in clauses:
        assert clause in filtered, clause


def sealed(key: bytes, user_id: UUID, plaintext: str) -> str:
    nonce = os.urandom(12)
    body = AESGCM(key).encrypt(nonce, plaintext.encode(), user_id.bytes)
    return PREFIX + base64.b64encode(nonce + body).decode()


def raw(stream_id: str, data: dict[str, Any], position: int = 1) -> RawEvent:
    metadata = {"actor_id": None, "actor_role": "ANONYMOUS", "correlation_id": str(uuid4()),
                "causation_id": str(uuid4())}  # fmt: skip
    return RawEvent(
        global_position=position, event_id=uuid4(), stream_id=stream_id,
        stream_type=stream_id.split("-", 1)[0], version=1, type=str(data.get("type", "T")),
        schema_version=1, recorded_at=NOW, prev_hash=GENESIS, hash=b"\x01" * 32,
        data=msgspec.json.encode(data).decode(), metadata=msgspec.json.encode(metadata).decode(),
    )  # fmt: skip


class FakeVault:
    def __init__(self, keys: dict[UUID, bytes | None]) -> None:
        self._keys = keys
        self.asked: list[list[UUID]] = []

    async def keys(self, user_ids: list[UUID]) -> dict[UUID, bytes | None]:
        self.asked.append(sorted(user_ids))
        return {user_id: self._keys.get(user_id) for user_id in user_ids}


async def test_personal_data_is_opened_for_the_living_and_erased_for_the_erased() -> None:
    living, erased, key = uuid4(), uuid4(), AESGCM.generate_key(256)
    vault = FakeVault({living: key, erased: None})
    events = [
        raw(f"user-{living}", {"type": "UserRegistered", "email": sealed(key, living, "a@b.kz"),
                               "name": sealed(key, living, "Aru"), "password_hash": "$2b$x"}),
        raw(f"user-{living}", {"type": "UserProfileChanged", "name": sealed(key, living, "Ara")}),
        raw(f"user-{erased}", {"type": "UserRegistered", "email": sealed(key, erased, "c@d.kz"),
                               "name": sealed(key, erased, "Gone"), "password_hash": "$2b$y"}),
        raw(f"team-{uuid4()}", {"type": "TeamCreated", "name": PREFIX + "not-sealed-here"}),
    ]  # fmt: skip

    shown = await Opener(vault).show(events)  # type: ignore[arg-type]

    assert shown[0].data == {"type": "UserRegistered", "email": "a@b.kz", "name": "Aru",
                             "password_hash": audit.REDACTED}  # fmt: skip
    assert shown[1].data["name"] == "Ara"
    assert shown[2].data["email"] == ERASED and shown[2].data["name"] == ERASED
    assert shown[3].data["name"] == PREFIX + "not-sealed-here"  # only user streams hold keys
    assert vault.asked == [sorted([living, erased])]  # one look-up for every key of a page


async def test_an_event_is_shown_in_the_documented_shape() -> None:
    event = raw(f"team-{uuid4()}", {"type": "TeamCreated", "name": "Falcons"}, position=65536)

    [shown] = await Opener(FakeVault({})).show([event])  # type: ignore[arg-type]
    document = msgspec.to_builtins(shown)

    assert set(document) == {
        "global_position", "event_id", "stream_id", "stream_type", "version", "type",
        "schema_version", "data", "metadata", "recorded_at", "hash", "prev_hash",
    }  # fmt: skip
    assert set(document["metadata"]) == {"actor_id", "actor_role", "correlation_id",
                                         "causation_id"}  # fmt: skip
    assert document["hash"] == "01" * 32 and document["prev_hash"] == "00" * 32


def submission(**changes: Any) -> SubmissionState:
    base = SubmissionState(
        exists=True, submission_id=uuid4(), team_id=uuid4(), event_id=uuid4(),
        submitted_at=NOW, status=Status.APPROVED, scores={uuid4(): 80, uuid4(): 61},
    )  # fmt: skip
    return msgspec.structs.replace(base, **changes)


def test_only_approved_live_scored_submissions_rank() -> None:
    ranked = competitions.standing(submission())

    assert ranked is not None and ranked.mean_score == 70.5 and ranked.scores == [61, 80]
    assert competitions.standing(submission(status=Status.PENDING)) is None
    assert competitions.standing(submission(status=Status.REJECTED)) is None
    assert competitions.standing(submission(deleted=True)) is None
    assert competitions.standing(submission(scores={})) is None


def test_as_of_defaults_to_everything() -> None:
    everything = AsOf()

    assert everything.position == audit.MAX_POSITION and everything.time is None
    assert parse_as_of("2026-03-01T12:00:00-01:00").time == NOW + timedelta(hours=1)
