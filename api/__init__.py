"""The REST API for integrators (FastAPI, served by ``callqa api``): versioned ``/v1`` routes over the use cases,
bearer tokens with roles and scopes, a per-token rate limit and an audit row for every request."""

__all__ = ["app", "errors", "limits", "middleware", "routes", "security"]
