"""Controllers of the read API, one module per resource."""

from __future__ import annotations

from write_api.problems import responses

ERRORS = responses(401, 403, 404, 422, 503)
