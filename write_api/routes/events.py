"""Competitive events: create, change, delete, declare the winner."""

from __future__ import annotations

from uuid import UUID, uuid4

from litestar import Controller, Response, delete, patch, post

from commands.handlers import competitions
from write_api.context import command_of, services_of
from write_api.problems import responses
from write_api.routes import AnyRequest, accepted
from write_api.schemas import (
    Accepted,
    EventBody,
    EventChangeBody,
    EventCreated,
    WinnerAnswer,
    WinnerBody,
)

ERRORS = responses(401, 403, 404, 409, 422)


class EventsController(Controller):
    path = "/events"
    tags = ["events"]  # noqa: RUF012 -- litestar reads a plain class attribute

    @post("/", operation_id="createEvent", status_code=201, responses=ERRORS)
    async def create(self, data: EventBody, request: AnyRequest) -> Response[EventCreated]:
        """ORGANIZER: create a competitive event; end_date must be after start_date."""
        event_id = uuid4()
        outcome = await competitions.create_event(
            services_of(request),
            command_of(request),
            event_id,
            data.title,
            data.start_date,
            data.end_date,
        )
        return accepted(EventCreated(event_id, outcome.position), outcome.position, 201)

    @patch("/{event_id:uuid}", operation_id="changeEvent", responses=ERRORS)
    async def change(
        self, event_id: UUID, data: EventChangeBody, request: AnyRequest
    ) -> Response[Accepted]:
        """ORGANIZER: change the title or dates, until the winner is declared."""
        outcome = await competitions.change_event(
            services_of(request),
            command_of(request),
            event_id,
            data.title,
            data.start_date,
            data.end_date,
        )
        return accepted(Accepted(outcome.position), outcome.position)

    @delete("/{event_id:uuid}", operation_id="deleteEvent", status_code=200, responses=ERRORS)
    async def remove(self, event_id: UUID, request: AnyRequest) -> Response[Accepted]:
        """ORGANIZER: soft delete."""
        outcome = await competitions.delete_event(
            services_of(request), command_of(request), event_id
        )
        return accepted(Accepted(outcome.position), outcome.position)

    @post(
        "/{event_id:uuid}/winner", operation_id="declareWinner", status_code=200, responses=ERRORS
    )
    async def winner(
        self, event_id: UUID, data: WinnerBody, request: AnyRequest
    ) -> Response[WinnerAnswer]:
        """ORGANIZER, after the end: `{}` computes the winner; `{team_id}` overrides it."""
        outcome, winner = await competitions.declare_winner(
            services_of(request), command_of(request), event_id, data.team_id
        )
        return accepted(WinnerAnswer(winner, outcome.position), outcome.position)
