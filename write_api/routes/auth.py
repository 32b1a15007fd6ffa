"""POST /auth/register and POST /auth/login."""

from __future__ import annotations

from uuid import uuid4

from litestar import Controller, Response, post

from commands.actors import Role
from commands.handlers import users
from commands.users import RegisterUser
from write_api import tokens
from write_api.context import anonymous_command, services_of
from write_api.problems import ProblemError, responses
from write_api.routes import AnyRequest, accepted
from write_api.schemas import LoginBody, RegisterBody, Registered, TokenAnswer


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]  # noqa: RUF012 -- litestar reads a plain class attribute

    @post("/register", operation_id="register", status_code=201, responses=responses(409, 422))
    async def register(self, data: RegisterBody, request: AnyRequest) -> Response[Registered]:
        """Create a PARTICIPANT account for yourself."""
        command = RegisterUser(
            user_id=uuid4(), email=data.email, name=data.name, password=data.password
        )
        outcome = await users.register(services_of(request), anonymous_command(request), command)
        return accepted(
            Registered(command.user_id, Role.PARTICIPANT, outcome.position), outcome.position, 201
        )

    @post("/login", operation_id="login", status_code=200, responses=responses(401, 422, 429))
    async def login(self, data: LoginBody, request: AnyRequest) -> TokenAnswer:
        """Exchange email and password for a bearer token."""
        state = request.app.state
        address = request.client.host if request.client else "unknown"
        await state.throttle.check(data.email, address)
        actor = await users.authenticate(services_of(request), data.email, data.password)
        if actor is None:
            await state.throttle.failed(data.email, address)
            raise ProblemError(
                401, "wrong email or password", headers={"WWW-Authenticate": "Bearer"}
            )
        await state.throttle.succeeded(data.email)
        config: tokens.TokenConfig = state.token_config
        token = tokens.issue(config, actor.user_id, actor.role)
        return TokenAnswer(token, "bearer", config.lifetime_seconds)
