"""Uploads: stored in S3 before the event is appended, refused cleanly when they should be."""

from __future__ import annotations

import hashlib
import json

import boto3
import psycopg
from mypy_boto3_s3 import S3Client

from tests.e2e.client import Platform, User, pdf_bytes

BUCKET = "kazrockets-test"


def s3() -> S3Client:
    client: S3Client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9000",
        region_name="us-east-1",
        aws_access_key_id="kazrockets-local",
        aws_secret_access_key="kazrockets-local-secret",
    )
    return client


def s3_keys(prefix: str) -> list[str]:
    listed = s3().list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def s3_object(key: str) -> bytes:
    body: bytes = s3().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return body


def uploaded_event(database_url: str, submission_id: str) -> dict[str, object]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT data::text FROM eventstore.events WHERE stream_id = %s AND version = 1",
            (f"submission-{submission_id}",),
        ).fetchone()
    assert row is not None
    data: dict[str, object] = json.loads(row[0])
    return data


async def test_the_pdf_is_stored_at_its_key_and_the_event_records_size_and_hash(
    platform: Platform, organizer: User
) -> None:
    event_id = await platform.event(organizer)
    captain = await platform.participant()
    team_id = await platform.team(captain)
    content = pdf_bytes("x" * 5000)

    answer = await platform.submit(captain, team_id, event_id, content)

    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "PENDING"
    submission_id = answer.json()["submission_id"]
    key = f"submissions/{event_id}/{team_id}/{submission_id}.pdf"
    assert s3_object(key) == content
    data = uploaded_event(platform.database_url, submission_id)
    assert data["file_key"] == key
    assert data["file_size"] == len(content)
    assert data["sha256"] == hashlib.sha256(content).hexdigest()


async def test_refused_uploads_store_nothing(platform: Platform, organizer: User) -> None:
    event_id = await platform.event(organizer)
    future_event = await platform.event(organizer, open_now=False)
    captain = await platform.participant()
    team_id = await platform.team(captain)

    too_large = await platform.submit(captain, team_id, event_id, pdf_bytes("x" * 3_000_000))
    not_pdf = await platform.call(
        "POST", "/submissions", captain,
        files={"file": ("notes.pdf", b"hello, not a pdf", "application/pdf")},
        data={"team_id": team_id, "event_id": event_id},
    )  # fmt: skip
    not_open = await platform.submit(captain, team_id, future_event)
    outsider = await platform.participant("outsider")
    not_member = await platform.submit(outsider, team_id, event_id)

    assert too_large.status_code == 413, too_large.text
    assert not_pdf.status_code == 415
    assert not_open.status_code == 409
    assert not_member.status_code == 403
    for answer in (too_large, not_pdf, not_open, not_member):
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert s3_keys(f"submissions/{event_id}/{team_id}/") == []
    assert s3_keys(f"submissions/{future_event}/{team_id}/") == []
