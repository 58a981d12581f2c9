"""``callqa analyze``: transcribe and score one recording, without a database."""

from __future__ import annotations

import argparse
import sys

from callqa.commands.common import EXIT_BAD_INPUT, EXIT_OK, existing_file, load_settings, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("analyze", help="transcribe and score one recording")
    p.add_argument("path")
    p.add_argument("--language", choices=["ru", "en", "auto"], default=None)
    p.add_argument("--scorecard", default=None, help="scorecard name (in scorecards/) or path to a YAML file")
    p.add_argument("--operator-channel", choices=["left", "right"], default=None)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=analyze)


def analyze(args: argparse.Namespace) -> int:
    from pipeline.errors import BadRecording
    from pipeline.speech.audio import decode
    from usecases.runtime import build_analyzer

    path = existing_file(args.path)
    if path is None:
        return EXIT_BAD_INPUT
    settings = load_settings(language=args.language, scorecard=args.scorecard, operator_channel=args.operator_channel,
                             db=None)
    # The recording is read before the models are loaded: a file that is not one is refused in a second.
    try:
        audio = decode(path, settings.audio.limits())
    except BadRecording as err:
        print(f"callqa: error: {path}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    analysis = build_analyzer(settings).analyze(path, audio=audio)
    if args.json:
        print_json(analysis.to_json(), indent=2)
        return EXIT_OK
    data = analysis.to_json()
    print(f"{path.name}: {data['duration_s']} s, {data['channels']} ch, {data['language']}, score {data['score']}, "
          f"flags {', '.join(data['flags']) or '-'}")
    for seg in data["segments"]:
        print(f"  [{seg['start']:7.2f}-{seg['end']:7.2f}] {seg['speaker']:>8}: {seg['text']}")
    for c in data["criteria"]:
        ev = f" \u2190 \"{c['evidence']['text']}\" @{c['evidence']['start']}s" if c["evidence"] else ""
        print(f"  {c['id']:<22} {c['result']:<8} ({c['method']}, {c['confidence']:.2f}){ev}")
        _print_hits(c["hits"])
    for e in data["escalations"]:
        print(f"  escalation: {e['category']} \u2190 \"{e['evidence']['text']}\" @{e['evidence']['start']}s")
        _print_hits(e["hits"])
    if data["sentiment"]:
        print("  sentiment: " + ", ".join(f"{k} {v}" for k, v in data["sentiment"].items()))
    if data["metrics"]:
        m = data["metrics"]
        print(f"  metrics: talk/listen {m.get('talk_listen_ratio')}, dead air {m.get('dead_air_s')} s, "
              f"overtalk {m.get('overtalk_s')} s, holds {m['hold_count']}")
    if data["pii"]:
        print(f"  redacted: {len(data['pii'])} span(s) of personal data")
    return EXIT_OK


def _print_hits(hits: list[dict]) -> None:
    """Every phrase behind a verdict or an escalation, when there is more than its one piece of evidence."""
    if len(hits) < 2:
        return
    for h in hits:
        print(f"  {'':<22}   {h['category']}: \"{h['text']}\" @{h['start']}s")
