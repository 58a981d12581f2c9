"""Customer satisfaction: ``callqa import-csat`` (survey scores from a CSV), ``callqa satisfaction`` (predict it
now) and ``callqa csat-agreement`` (how the predictions agree with the surveys)."""

from __future__ import annotations

import argparse
import sys

from callqa.commands.common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    day,
    existing_database,
    existing_file,
    load_settings,
    print_json,
)

SHOWN_PROBLEMS = 20  # lines listed on the terminal; --json lists them all


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import-csat", help="import survey scores (CSAT 1-5) from a CSV: call_id or file, csat or score")
    p.add_argument("file", help="CSV with a call_id (or file: the recording's name) and a csat (or score) column")
    p.add_argument("--db", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=import_csat)

    p = sub.add_parser("satisfaction", help="predict customer satisfaction now for calls without a current prediction")
    p.add_argument("--db", default=None)
    p.set_defaults(func=satisfaction)

    p = sub.add_parser("csat-agreement", help="how predicted satisfaction agrees with the imported surveys")
    p.add_argument("--db", default=None)
    p.add_argument("--since", default=None, help="only calls from this date (YYYY-MM-DD)")
    p.add_argument("--until", default=None, help="only calls before this date")
    p.add_argument("--team", action="append", help="only this team (repeatable)")
    p.add_argument("--calibrate", action="store_true",
                   help="also refit the weights to the surveys (needs 50 or more) and say if that beats the defaults")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=csat_agreement)


def import_csat(args: argparse.Namespace) -> int:
    """Survey scores from a CSV (call_id or file, csat or score) into the csat table; the latest import wins."""
    from pipeline.intake.csat_file import CsatFileError, read_csat_file
    from storage.csat import import_csat as store_surveys
    from storage.csat import survey_counts
    from storage.db import connect

    db = existing_database(load_settings(db=args.db))
    if db is None:
        return EXIT_BAD_INPUT
    path = existing_file(args.file)
    if path is None:
        return EXIT_BAD_INPUT
    try:
        parsed = read_csat_file(path)
    except CsatFileError as err:
        print(f"callqa: error: {path}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    with connect(db) as con:
        result = store_surveys(con, parsed, path.name)
        _, unpredicted = survey_counts(con)
    if args.json:
        print_json(result.to_json(), indent=2)
    else:
        print(f"{path.name}: stored {result.stored} surveys ({result.added} new, {result.updated} updated, "
              f"{result.unchanged} unchanged)")
        for title, problems, stream in (("not stored: no processed call", result.unmatched, sys.stdout),
                                        ("bad lines, skipped", result.errors, sys.stderr),
                                        ("warnings", result.warnings, sys.stderr)):
            if problems:
                print(f"{len(problems)} {title}:", file=stream)
                for problem in problems[:SHOWN_PROBLEMS]:
                    print(f"  {problem}", file=stream)
                if len(problems) > SHOWN_PROBLEMS:
                    print(f"  ... and {len(problems) - SHOWN_PROBLEMS} more (--json lists them all)", file=stream)
        if unpredicted:
            print(f"{unpredicted} surveyed calls have no predicted satisfaction yet: run `callqa satisfaction`")
    return EXIT_BAD_INPUT if result.errors else EXIT_OK


def satisfaction(args: argparse.Namespace) -> int:
    """Predict satisfaction now for every call whose prediction is missing or stale (the nightly flow does too)."""
    from usecases.satisfaction import refresh_predictions

    db = existing_database(load_settings(db=args.db))
    if db is None:
        return EXIT_BAD_INPUT
    done = refresh_predictions(db)
    print(f"predicted satisfaction for {done.predicted} calls (model {done.model_version}) in {done.seconds:.1f} s")
    return EXIT_OK


def csat_agreement(args: argparse.Namespace) -> int:
    """How the predicted satisfaction agrees with the imported surveys; --calibrate refits the weights."""
    from pipeline.insights.csat_agreement import format_agreement
    from pipeline.insights.satisfaction_calibration import FOLDS
    from usecases.satisfaction import calibration, survey_agreement

    db = existing_database(load_settings(db=args.db))
    if db is None:
        return EXIT_BAD_INPUT
    result = survey_agreement(db, day(args.since), day(args.until), tuple(args.team or ()))
    report = None
    if args.calibrate:
        try:
            report = calibration(db)
        except ValueError as err:
            print(f"callqa: {err}", file=sys.stderr)
    if args.json:
        print_json({"agreement": result.to_json(), "calibration": report.to_json() if report else None}, indent=2)
        return EXIT_OK
    print(format_agreement(result))
    if report:
        verdict = "beats" if report.beats_default else "does not beat"
        print(f"\ncalibration on {report.n} surveyed calls ({FOLDS}-fold cross-validated): refitted weights {verdict} "
              f"the defaults (MAE {report.calibrated_cv_mae:.2f} against {report.default_mae:.2f})")
        print("refitted weights: " + ", ".join(f"{k} {v:+.2f}" for k, v in report.to_json()["weights"].items()))
    return EXIT_OK
