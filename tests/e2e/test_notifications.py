"""Notifications under `kazrockets run`: an approval reaches every team member in the read
API's inbox, in their language, and as one email each at the debugging SMTP server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.client import Platform, User
from tests.e2e.conftest import SMTP_PORT
from tests.support.smtp import MailDir, debugging_smtp

WAIT_SECONDS = 15


@pytest.fixture(scope="module")
def maildir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailDir]:
    with debugging_smtp(SMTP_PORT, tmp_path_factory.mktemp("mail")) as box:
        yield box


async def notified(platform: Platform, user: User, kind: str) -> dict[str, Any]:
    """The user's first notification of this kind, once the read API shows it."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            answer = await platform.read("/users/me/notifications", user)
            assert answer.status_code == 200, answer.text
            found = [item for item in answer.json()["items"] if item["kind"] == kind]
            if found:
                item: dict[str, Any] = found[0]
                return item
            await asyncio.sleep(0.2)


async def mailed(maildir: MailDir, address: str, subject: str) -> int:
    async with asyncio.timeout(WAIT_SECONDS):
        while not any(m["Subject"] == subject for m in maildir.to(address)):  # noqa: ASYNC110 -- polled
            await asyncio.sleep(0.2)
    return sum(m["Subject"] == subject for m in maildir.to(address))


async def test_an_approved_submission_notifies_every_member_in_app_and_by_email(
    platform: Platform, organizer: User, maildir: MailDir
) -> None:
    captain = await platform.participant("notified")
    member = await platform.participant("kazakh")
    answer = await platform.call(
        "PATCH", f"/users/{member.user_id}", member, json={"language": "kk"}
    )
    assert answer.status_code == 200, answer.text
    team_id = await platform.team(captain, f"Notified {platform.run_id}")
    answer = await platform.call("POST", f"/teams/{team_id}/members", member)
    assert answer.status_code == 200, answer.text
    event_id = await platform.event(organizer)
    submission_id = await platform.submission(captain, team_id, event_id)
    answer = await platform.call("POST", f"/submissions/{submission_id}/approve", organizer)
    assert answer.status_code == 200, answer.text

    english = await notified(platform, captain, "submission_approved")
    kazakh = await notified(platform, member, "submission_approved")
    assert english["subject"].endswith(": your submission was approved")
    assert kazakh["subject"].endswith(": жұмысыңыз мақұлданды")
    assert f"Notified {platform.run_id}" in kazakh["body"]

    assert await mailed(maildir, captain.email, english["subject"]) == 1
    assert await mailed(maildir, member.email, kazakh["subject"]) == 1
    [mail] = [m for m in maildir.to(member.email) if m["Subject"] == kazakh["subject"]]
    assert mail.get_content().strip() == kazakh["body"]
    assert mail["Message-ID"].startswith(f"<{kazakh['notification_id']}@")
