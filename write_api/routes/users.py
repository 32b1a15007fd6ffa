"""Accounts made by organizers, profile changes, deletion, erasure, judge conflicts."""

from __future__ import annotations

from uuid import UUID, uuid4

from litestar import Controller, Response, delete, patch, post

from commands.actors import Role
from commands.handlers import users
from commands.users import RegisterUser
from write_api.context import command_of, services_of
from write_api.problems import responses
from write_api.routes import AnyRequest, accepted
from write_api.schemas import Accepted, ConflictBody, CreateUserBody, ProfileBody, UserCreated

ERRORS = responses(401, 403, 404, 409, 422)


class UsersController(Controller):
    path = "/users"
    tags = ["users"]  # noqa: RUF012 -- litestar reads a plain class attribute

    @post("/", operation_id="createUser", status_code=201, responses=ERRORS)
    async def create_user(self, data: CreateUserBody, request: AnyRequest) -> Response[UserCreated]:
        """ORGANIZER: create an account of any role."""
        command = RegisterUser(
            user_id=uuid4(),
            email=data.email,
            name=data.name,
            password=data.password,
            role=Role(data.role),
        )
        outcome = await users.register(services_of(request), command_of(request), command)
        return accepted(UserCreated(command.user_id, outcome.position), outcome.position, 201)

    @patch("/{user_id:uuid}", operation_id="changeUser", responses=ERRORS)
    async def change(
        self, user_id: UUID, data: ProfileBody, request: AnyRequest
    ) -> Response[Accepted]:
        """The user or an ORGANIZER: change the name or language (en, kk, ru)."""
        outcome = await users.change_profile(
            services_of(request), command_of(request), user_id, data.name, data.language
        )
        return accepted(Accepted(outcome.position), outcome.position)

    @delete("/{user_id:uuid}", operation_id="deleteUser", status_code=200, responses=ERRORS)
    async def remove(self, user_id: UUID, request: AnyRequest) -> Response[Accepted]:
        """The user or an ORGANIZER: soft delete; the user can no longer sign in."""
        outcome = await users.delete_user(services_of(request), command_of(request), user_id)
        return accepted(Accepted(outcome.position), outcome.position)

    @post("/{user_id:uuid}/erase", operation_id="eraseUser", status_code=200, responses=ERRORS)
    async def erase(self, user_id: UUID, request: AnyRequest) -> Response[Accepted]:
        """The user or an ORGANIZER: make the personal data unreadable; the history stays."""
        outcome = await users.erase_user(services_of(request), command_of(request), user_id)
        return accepted(Accepted(outcome.position), outcome.position)


class JudgesController(Controller):
    path = "/judges"
    tags = ["judges"]  # noqa: RUF012

    @post("/me/conflicts", operation_id="declareConflict", status_code=200, responses=ERRORS)
    async def declare_conflict(self, data: ConflictBody, request: AnyRequest) -> Response[Accepted]:
        """JUDGE: declare a conflict with a team; you are never assigned its submissions."""
        outcome = await users.declare_conflict(
            services_of(request), command_of(request), data.team_id, data.reason
        )
        return accepted(Accepted(outcome.position), outcome.position)
