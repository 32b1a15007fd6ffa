"""Handlers of the user aggregate: accounts, login, profile, deletion, erasure, conflicts."""

from __future__ import annotations

import asyncio
from uuid import UUID

import bcrypt

from commands import teams, users
from commands.actors import Actor
from commands.errors import Conflict
from commands.handlers import Outcome, on_one_stream, retrying
from commands.ports import CommandContext, Services
from commands.repository import TEAMS, USERS
from commands.users import RegisterUser, SealedProfile, UserState
from eventstore.errors import UniqueKeyTaken
from eventstore.records import StreamAppend, UniqueClaim
from eventstore.vault import email_hash

EMAIL_SCOPE = "email"
# Compared against when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = bcrypt.hashpw(b"not a password", bcrypt.gensalt(4))


async def hash_password(password: str, rounds: int) -> str:
    hashed = await asyncio.to_thread(bcrypt.hashpw, password.encode(), bcrypt.gensalt(rounds))
    return hashed.decode()


@retrying
async def register(services: Services, ctx: CommandContext, command: RegisterUser) -> Outcome:
    """Self-registration (no actor) or an account made by an ORGANIZER or the CLI."""
    users.check_registration(command, ctx.actor)
    loaded = USERS.fresh(command.user_id)  # a new id: nothing to load
    key = email_hash(services.email_hash_key, command.email)
    if await services.repository.store.claim_owner(EMAIL_SCOPE, key) is not None:
        raise Conflict("this email is registered already", "email")
    email, name = await services.vault.seal_all(
        command.user_id, command.email.strip(), command.name.strip()
    )
    sealed = SealedProfile(
        email=email,
        name=name,
        email_hash=key,
        password_hash=await hash_password(command.password, services.bcrypt_rounds),
    )
    decided = users.decide_register(loaded.state, command, ctx.actor, sealed)
    try:
        result = await services.repository.save(
            [loaded.append(decided)],
            ctx.metadata(acting_as=command.user_id, role=command.role.value),
            claims=[UniqueClaim(EMAIL_SCOPE, key, loaded.stream_id)],
        )
    except UniqueKeyTaken as taken:  # a concurrent sign-up with the same email won
        raise Conflict("this email is registered already", "email") from taken
    return Outcome(result.last_position, command.user_id)


async def load_user(services: Services, user_id: UUID) -> UserState:
    return (await services.repository.load(USERS, user_id)).state


async def active_actor(services: Services, user_id: UUID) -> Actor | None:
    """The actor behind a token, or None when the user is deleted or unknown."""
    state = await load_user(services, user_id)
    return Actor(user_id, state.role) if state.active else None


async def authenticate(services: Services, email: str, password: str) -> Actor | None:
    owner = await services.repository.store.claim_owner(
        EMAIL_SCOPE, email_hash(services.email_hash_key, email)
    )
    state = UserState()
    if owner is not None:
        state = await load_user(services, UUID(owner.removeprefix("user-")))
    stored = state.password_hash.encode() if state.active else _DUMMY_HASH
    matches = await asyncio.to_thread(bcrypt.checkpw, password.encode()[:72], stored)
    if not matches or not state.active or state.user_id is None:
        return None
    return Actor(state.user_id, state.role)


@retrying
async def change_profile(
    services: Services,
    ctx: CommandContext,
    user_id: UUID,
    name: str | None,
    language: str | None,
) -> Outcome:
    loaded = await services.repository.load(USERS, user_id)
    users.check_profile_change(loaded.state, ctx.who, name, language)
    sealed = None if name is None else await services.vault.seal(user_id, name.strip())
    decided = users.decide_change_profile(loaded.state, ctx.who, sealed, language)
    result = await services.repository.save([loaded.append(decided)], ctx.metadata())
    return Outcome(result.last_position)


@retrying
async def delete_user(services: Services, ctx: CommandContext, user_id: UUID) -> Outcome:
    """Soft delete; a team member leaves their team first (the last one out dissolves it)."""
    loaded = await services.repository.load(USERS, user_id)
    decided = users.decide_delete(loaded.state, ctx.who, reason="account deleted")
    appends: list[StreamAppend] = []
    user_events = []
    team_id = loaded.state.team_id
    if team_id is not None:
        team = await services.repository.load(TEAMS, team_id)
        leaving = teams.decide_leave(team.state, user_id, Actor(user_id, loaded.state.role))
        appends.append(team.append(leaving.team))
        user_events.extend(leaving.users.get(user_id, []))
        for other, events in leaving.users.items():
            if other != user_id:
                appends.append((await services.repository.load(USERS, other)).append(events))
    appends.append(loaded.append([*user_events, *decided]))
    result = await services.repository.save(
        appends,
        ctx.metadata(),
        releases=[UniqueClaim(EMAIL_SCOPE, loaded.state.email_hash, loaded.stream_id)],
    )
    return Outcome(result.last_position)


@retrying
async def erase_user(services: Services, ctx: CommandContext, user_id: UUID) -> Outcome:
    """Append UserErased, then destroy the key: the history stays and still verifies."""
    loaded = await services.repository.load(USERS, user_id)
    if loaded.state.erased:
        await services.vault.destroy(user_id)  # finish an erasure interrupted after its event
    decided = users.decide_erase(loaded.state, ctx.who)
    result = await services.repository.save([loaded.append(decided)], ctx.metadata())
    await services.vault.destroy(user_id)
    return Outcome(result.last_position)


@retrying
async def declare_conflict(
    services: Services, ctx: CommandContext, team_id: UUID, reason: str
) -> Outcome:
    team = await services.repository.load(TEAMS, team_id)
    return await on_one_stream(
        services, ctx, USERS, ctx.who.user_id,
        lambda judge: users.decide_declare_conflict(
            judge, ctx.who, team_id, team.state.exists, reason
        ),
    )  # fmt: skip
