"""Teams: create, join, leave, hand over the captaincy, delete."""

from __future__ import annotations

from uuid import UUID, uuid4

from litestar import Controller, Response, delete, post, put

from commands.handlers import teams
from write_api.context import command_of, services_of
from write_api.problems import responses
from write_api.routes import AnyRequest, accepted
from write_api.schemas import Accepted, CaptainBody, TeamBody, TeamCreated

ERRORS = responses(401, 403, 404, 409, 422)


class TeamsController(Controller):
    path = "/teams"
    tags = ["teams"]  # noqa: RUF012 -- litestar reads a plain class attribute

    @post("/", operation_id="createTeam", status_code=201, responses=ERRORS)
    async def create(self, data: TeamBody, request: AnyRequest) -> Response[TeamCreated]:
        """PARTICIPANT not in a team: create a team and become its captain."""
        team_id = uuid4()
        outcome = await teams.create_team(
            services_of(request), command_of(request), team_id, data.name
        )
        return accepted(TeamCreated(team_id, outcome.position), outcome.position, 201)

    @post("/{team_id:uuid}/members", operation_id="joinTeam", status_code=200, responses=ERRORS)
    async def join(self, team_id: UUID, request: AnyRequest) -> Response[Accepted]:
        """PARTICIPANT not in a team: join this team."""
        outcome = await teams.join_team(services_of(request), command_of(request), team_id)
        return accepted(Accepted(outcome.position), outcome.position)

    @delete(
        "/{team_id:uuid}/members/{user_id:uuid}", operation_id="leaveTeam", status_code=200,
        responses=ERRORS,
    )  # fmt: skip
    async def leave(self, team_id: UUID, user_id: UUID, request: AnyRequest) -> Response[Accepted]:
        """The member or the captain: leave (or remove a member from) the team."""
        outcome = await teams.leave_team(
            services_of(request), command_of(request), team_id, user_id
        )
        return accepted(Accepted(outcome.position), outcome.position)

    @put("/{team_id:uuid}/captain", operation_id="transferCaptain", responses=ERRORS)
    async def captain(
        self, team_id: UUID, data: CaptainBody, request: AnyRequest
    ) -> Response[Accepted]:
        """The captain: hand the captaincy to another member."""
        outcome = await teams.transfer_captain(
            services_of(request), command_of(request), team_id, data.user_id
        )
        return accepted(Accepted(outcome.position), outcome.position)

    @delete("/{team_id:uuid}", operation_id="deleteTeam", status_code=200, responses=ERRORS)
    async def remove(self, team_id: UUID, request: AnyRequest) -> Response[Accepted]:
        """The captain or an ORGANIZER: soft delete; members are released."""
        outcome = await teams.delete_team(services_of(request), command_of(request), team_id)
        return accepted(Accepted(outcome.position), outcome.position)
