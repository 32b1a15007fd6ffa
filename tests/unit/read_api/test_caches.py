"""The read API's in-process caches: checked tokens until they expire, recent views briefly,
the answer to a kept view once per view."""

from __future__ import annotations

import time
from uuid import uuid4

import jwt

from commands.actors import Role
from read_api.answers import Answers
from read_api.views import Recent
from write_api.tokens import CheckedTokens, TokenConfig, issue

CONFIG = TokenConfig("unit-test-secret-0123456789abcdef", lifetime_seconds=60)


def test_a_checked_token_is_reused_until_it_expires_and_never_after() -> None:
    checked = CheckedTokens(CONFIG)
    user = uuid4()
    token = issue(CONFIG, user, Role.JUDGE)
    first = checked.read(token)
    assert first is not None and first.user_id == user
    assert checked.read(token) is first  # no second signature check

    now = int(time.time())
    expired = jwt.encode(
        {"sub": str(user), "role": "JUDGE", "iat": now - 120, "exp": now - 60}, CONFIG.secret
    )
    assert checked.read(expired) is None


def test_a_forged_token_is_never_cached_as_valid() -> None:
    checked = CheckedTokens(CONFIG)
    forged = issue(TokenConfig("another-secret-0123456789abcdefgh"), uuid4(), Role.ORGANIZER)
    assert checked.read(forged) is None
    assert checked.read(forged) is None


def test_recent_values_expire_and_zero_seconds_keeps_nothing() -> None:
    recent = Recent(0.05)
    recent.put("k", 1)
    assert recent.get("k") == 1
    time.sleep(0.06)
    assert recent.get("k") is None
    never = Recent(0)
    never.put("k", 1)
    assert never.get("k") is None


def test_a_kept_value_is_answered_once_and_a_value_read_anew_gets_its_own_answer() -> None:
    answers = Answers(size=2)
    view = {"title": "Cup"}
    first = answers.of(view)
    assert answers.of(view) is first
    anew = {"title": "Cup"}  # equal, read again: a new object
    assert answers.of(anew) is not first and answers.of(anew).etag == first.etag
    changed = answers.of({"title": "Final"})  # the third value: the full memo starts over
    assert changed.etag != first.etag and answers.of(view) is not first


def test_a_kept_value_may_be_answered_with_a_body_made_from_it() -> None:
    standings = ["team a", "team b"]
    made = Answers().of(standings, lambda: {"items": standings})
    assert made.full._body == b'{"items":["team a","team b"]}'
