"""``callqa api``: serve the REST API (api/) with uvicorn, on 127.0.0.1:8600 by default; ``--write-openapi``
writes its OpenAPI description to api/openapi.json (the file checked in and tested for drift)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from callqa.commands.common import EXIT_OK, load_settings

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "api" / "openapi.json"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("api", help="serve the REST API for integrators (127.0.0.1:8600 by default)")
    p.add_argument("--db", default=None)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; put TLS in front)")
    p.add_argument("--port", type=int, default=8600)
    p.add_argument("--write-openapi", action="store_true", help=f"write the OpenAPI description to {OPENAPI_FILE}")
    p.set_defaults(func=api)


def openapi_text(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def api(args: argparse.Namespace) -> int:
    from api.app import create_app

    settings = load_settings(db=args.db)
    app = create_app(settings)
    if args.write_openapi:
        OPENAPI_FILE.write_text(openapi_text(app.openapi()), encoding="utf-8")
        print(f"wrote {OPENAPI_FILE}")
        return EXIT_OK
    import uvicorn

    print(f"REST API on http://{args.host}:{args.port}/v1 (database {settings.storage.db}; "
          f"its description at /v1/openapi.json)", flush=True)
    # One process: the rate limits and the audit's batches live in it. proxy_headers: behind a TLS proxy on
    # this host, the client's address comes from X-Forwarded-For (uvicorn trusts 127.0.0.1 only).
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", proxy_headers=True,
                server_header=False)
    return EXIT_OK
