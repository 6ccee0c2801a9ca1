"""The routes 03 creates on the HTTP API are exactly the routes the handler serves, with the same methods."""
from __future__ import annotations

from helpers.deploy.settings import ROUTES as API_ROUTES
from lambda_app.app import ROUTES as HANDLER_ROUTES


def route_keys(handler_routes: dict[str, str]) -> set[str]:
    """API Gateway route keys ("METHOD /path") of the handler's {path: method} table."""
    return {f"{method} {path}" for path, method in handler_routes.items()}


def test_the_api_routes_are_the_handlers_routes() -> None:
    assert set(API_ROUTES) == route_keys(HANDLER_ROUTES)
    assert len(API_ROUTES) == len(set(API_ROUTES))


def test_a_route_only_one_side_has_is_caught() -> None:
    assert route_keys({**HANDLER_ROUTES, "/extra": "GET"}) != set(API_ROUTES)
