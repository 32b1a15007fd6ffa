"""Events of the team aggregate (stream ``team-<uuid>``)."""

from __future__ import annotations

from uuid import UUID

from events.base import Event


class TeamCreated(Event, frozen=True, tag="TeamCreated"):
    team_id: UUID
    name: str
    captain_id: UUID


class TeamMemberJoined(Event, frozen=True, tag="TeamMemberJoined"):
    user_id: UUID


class TeamMemberLeft(Event, frozen=True, tag="TeamMemberLeft"):
    user_id: UUID
    removed_by: UUID


class TeamCaptainChanged(Event, frozen=True, tag="TeamCaptainChanged"):
    captain_id: UUID
    previous_captain_id: UUID


class TeamDeleted(Event, frozen=True, tag="TeamDeleted"):
    """The team is dissolved: deleted by its captain or an organizer, or its last member left."""

    deleted_by: UUID
    reason: str
    released_members: list[UUID]


TeamEvent = TeamCreated | TeamMemberJoined | TeamMemberLeft | TeamCaptainChanged | TeamDeleted
