"""Webhook delivery throughput: events delivered per second by ``deliver_pending`` to a local receiver, against
the same number of bare signed POSTs (``usecases.http_post.post``, no database) in the same run.

    .venv/bin/python benchmarks/webhook_delivery.py [--events 2000]

The outbox is filled directly (``storage.webhooks.add_event``, one transaction); the receiver on 127.0.0.1
answers 200 at once. The ratio says what the outbox's bookkeeping (claims, the attempt log, the state of each
delivery in DuckDB) costs over the HTTP itself; the machine is shared and noisy, so compare the ratio.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


class Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_POST(self):  # noqa: N802 - http.server's hook name
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()

    from storage import webhooks
    from storage.db import connect
    from usecases.http_post import post
    from usecases.settings import load_settings
    from usecases.webhook_delivery import deliver_pending, sign

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    with tempfile.TemporaryDirectory() as work:
        db = Path(work) / "bench.duckdb"
        data = {"call_id": "x", "operator_id": "op", "score": 80.0, "flags": ["low_score"],
                "failed_criteria": ["greeting", "farewell"]}
        with connect(db) as con:
            con.execute("BEGIN TRANSACTION")
            for i in range(args.events):
                webhooks.add_event(con, webhooks.CALL_PROCESSED, f"bench:{i}", {**data, "call_id": f"c{i}"}, f"c{i}")
            con.execute("COMMIT")

        body = b'{"id": "x", "type": "call.processed", "data": {}}'
        started = time.perf_counter()
        for _ in range(args.events):
            ts = str(int(time.time()))
            assert post(url, body, 5.0, {"X-Callqa-Timestamp": ts, "X-Callqa-Signature": sign(b"k", ts, body)}).ok
        bare_s = time.perf_counter() - started

        settings = load_settings(db=db, webhook_urls=url, webhook_secret="k")
        started = time.perf_counter()
        report = deliver_pending(settings)
        outbox_s = time.perf_counter() - started
    server.shutdown()
    assert report.delivered == args.events, report
    print(f"{args.events} events to a local receiver")
    print(f"  bare signed POSTs:   {args.events / bare_s:8.0f} per second ({bare_s:.1f} s)")
    print(f"  deliver_pending:     {args.events / outbox_s:8.0f} per second ({outbox_s:.1f} s)")
    print(f"  ratio (outbox / bare time): {outbox_s / bare_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
