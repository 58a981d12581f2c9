"""What the product does, as plain functions over settings, the pipeline and storage: the CLI, flows and app
call these."""

__all__ = [
    "call_details",
    "call_reasons",
    "coaching_assignments",
    "exports",
    "login",
    "masking",
    "password_policy",
    "recording",
    "reports",
    "reports_on_demand",
    "rescore",
    "retention",
    "review",
    "runtime",
    "satisfaction",
    "settings",
    "shared_database",
    "users",
]
