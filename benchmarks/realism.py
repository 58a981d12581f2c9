"""The product on the telephony realism set: what each degradation costs against the same call clean.

    CALLQA_MODELS_DIR=data/models .venv/bin/python benchmarks/realism.py [--set benchmarks/data/realism]
        [--variants NAME ...] [--calls ID ...] [--brand NAME | --own-brand]
        [--json benchmarks/results/<set folder name>.json]

``--brand`` / ``--own-brand`` judge as the centre that took the calls would: its own name as the
scorecard's brands (phrases of the company, and a hint to recognition); without them the shipped
scorecard's brands (the sample calls' 12-13 names per language: too many to be a hint).

The set comes from ``benchmarks/datasets/make_realism_set.py``: real two-party calls, each as its clean source
and with one degradation at a time (sparse turns, a quiet party, crosstalk, PBX codecs, noise,
clipping, DC offset, hold music), with the human reference re-timed per file in ``index.json``.
In one run, with one analyzer per language and operator channel of the set's entries
(``CallAnalyzer.analyze`` built from ``load_settings(language=..., operator_channel=...)``; entries
without them, as in older hvb indexes: "en", "left"), every call's clean file and its variants go
through the product, and each variant is compared with its own clean output:

- words lost: per party, the clean output's words (``wer_words``: Whisper's English normaliser for
  English, lower case without punctuation and with ё -> е for Russian; numbers digit by digit) that an edit-distance
  alignment with the variant's words of the same party deletes, over the clean words; words the
  variant adds (insertions: hallucinations on music or noise) and replaces (garbled words) are
  counted apart;
- WER per party against the human reference (same text for every variant, only times move);
- verdicts changed: per criterion, clean verdict -> variant verdict; pass->fail (the change that
  must never happen) and pass->unknown counted apart;
- ``metrics.speech_heard_share`` and the score's flags;
- when the entry carries truth verdicts (``labels``: a truth file's verdicts, or hvb's reviewer labels):
  verdict accuracy against the truth, for the clean file and every variant alike: the share of the
  truth's criteria where the product's verdict equals the truth (``unknown`` counts as not equal),
  false fails (truth pass, product fail), false passes and unknowns; with calls marked ``ambiguous``
  (QA dev set) also the strict accuracy without them.

Corpus figures sum words (or edits and reference words) over calls. Exits 0 whatever the figures;
2 when the set is missing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rapidfuzz.distance import Levenshtein

from benchmarks.evaluation import analyze_heard, wer_words, word_errors

PARTIES = ("operator", "customer")


@dataclass
class Output:
    """What the product said about one file, reduced to what is compared."""

    texts: dict[str, str] = field(default_factory=dict)  # party -> its segments' text, in order
    unknown_words: int = 0  # words in segments with speaker "unknown": no party's
    verdicts: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    speech_heard_share: float | None = None
    wall_s: float = 0.0
    error: str | None = None


def analyze(analyzer, path: Path) -> Output:
    t = time.perf_counter()
    try:
        analysis, heard = analyze_heard(analyzer, path)
    except Exception as err:  # a variant the product refuses is a finding, not a crash of the benchmark
        return Output(wall_s=time.perf_counter() - t, error=f"{type(err).__name__}: {err}")
    wall = time.perf_counter() - t
    segments = sorted(heard, key=lambda s: (s.start, s.end))
    return Output(
        texts={p: " ".join(s.text for s in segments if s.speaker == p) for p in PARTIES},
        unknown_words=sum(len(s.text.split()) for s in segments if s.speaker not in PARTIES),
        verdicts={c.id: c.result for c in analysis.criteria},
        reasons={c.id: c.reason for c in analysis.criteria},
        flags=list(analysis.score.flags),
        speech_heard_share=analysis.metrics.speech_heard_share if analysis.metrics is not None else None,
        wall_s=wall,
    )


def compared_words(text: str, language: str) -> list[str]:
    """``wer_words`` with every number spelled digit by digit: a dictated zip code comes out as
    "7-0-0-2-3" in one file and "70023" or "0023" in another, the same words said, and the
    normaliser would count one token against five (and drop leading zeros)."""
    spaced = re.sub(r"\d", r" \g<0> ", text)
    return [d for word in wer_words(spaced, language) for d in (list(word) if word.isdigit() else [word])]


def lost_words(clean: str, variant: str, language: str = "en") -> dict:
    """Deletions and insertions turning the clean output's words into the variant's (same party)."""
    a, b = compared_words(clean, language), compared_words(variant, language)
    ops = [op.tag for op in Levenshtein.editops(a, b)]
    return {"clean_words": len(a), "deleted": ops.count("delete"), "inserted": ops.count("insert"),
            "substituted": ops.count("replace")}


def reference(turns: list[dict], party: str) -> str:
    return " ".join(t["text"] for t in turns if t["speaker"] == party)


def against_truth(truth: dict[str, str], verdicts: dict[str, str]) -> dict:
    """The product's verdicts against the truth's, over the truth's criteria: ``correct`` when equal
    (``unknown`` or a missing verdict is not), ``false_fail`` truth pass / product fail, ``false_pass``
    truth fail / product pass, ``unknown`` the product said unknown (or nothing)."""
    got = {k: verdicts.get(k, "missing") for k in truth}
    return {"criteria": len(truth), "criteria_ids": sorted(truth),
            "correct": sum(got[k] == v for k, v in truth.items()),
            "false_fail": sum(v == "pass" and got[k] == "fail" for k, v in truth.items()),
            "false_pass": sum(v == "fail" and got[k] == "pass" for k, v in truth.items()),
            "unknown": sum(got[k] in ("unknown", "missing") for k in truth),
            "wrong": {k: f"{v}->{got[k]}" for k, v in sorted(truth.items()) if got[k] != v}}  # truth->product


def measure(entry: dict, out: Output, clean: Output | None) -> dict:
    language = entry.get("language", "en")
    row: dict = {"call": entry["call"], "variant": entry["variant"], "file": entry["file"], "language": language,
                 "duration_s": entry["duration_s"], "wall_s": round(out.wall_s, 2)}
    truth = entry.get("labels") or {}
    if truth:
        row["ambiguous"] = bool(entry.get("ambiguous", False))
    if out.error:
        row["error"] = out.error
        if truth:  # a file the product refuses gets no verdict right
            row["truth"] = against_truth(truth, {})
        return row
    for party in PARTIES:
        edits, n = word_errors(reference(entry["turns"], party), out.texts[party], language)
        row[party] = {"edits": edits, "ref_words": n}
        if clean is not None and clean.error is None:
            row[party].update(lost_words(clean.texts[party], out.texts[party], language))
    if truth:
        row["truth"] = against_truth(truth, out.verdicts)
    row["texts"] = out.texts  # so the comparison can be re-scored without running the product again
    row["unknown_words"] = out.unknown_words
    row["speech_heard_share"] = out.speech_heard_share
    row["flags"] = out.flags
    row["verdicts"] = out.verdicts
    if clean is not None and clean.error is None:
        ids = sorted(set(clean.verdicts) | set(out.verdicts))
        changed = {k: f"{clean.verdicts.get(k)}->{out.verdicts.get(k)}"
                   for k in ids if clean.verdicts.get(k) != out.verdicts.get(k)}
        row["verdict_changes"] = changed
        row["reasons_changed"] = {k: out.reasons.get(k, "") for k in changed}
        row["new_flags"] = sorted(set(out.flags) - set(clean.flags))
        row["lost_flags"] = sorted(set(clean.flags) - set(out.flags))
    return row


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def _truth_summary(rows: list[dict]) -> dict:
    judged = [r["truth"] for r in rows if "truth" in r]
    def total(key: str) -> float:
        return sum(t[key] for t in judged)

    return {"truth_calls": len(judged), "truth_criteria": total("criteria"),
            "truth_accuracy": _ratio(total("correct"), total("criteria")), "false_fails": total("false_fail"),
            "false_passes": total("false_pass"), "truth_unknown": total("unknown")}


def summarise(rows: list[dict]) -> dict:
    ok = [r for r in rows if "error" not in r]
    out: dict = {"files": len(rows), "errors": len(rows) - len(ok)}
    if any("truth" in r for r in rows):  # errors included: a refused file gets no verdict right
        out.update(_truth_summary(rows))
        if any(r.get("ambiguous") for r in rows):  # the QA dev set's strict figure: ambiguous calls left out
            strict = _truth_summary([r for r in rows if not r.get("ambiguous")])
            out["truth_accuracy_strict"] = strict["truth_accuracy"]
            out["false_fails_strict"] = strict["false_fails"]
        by: dict[str, list[int]] = {}  # criterion -> [truth verdicts the product got right, truth verdicts]
        for r in rows:
            if "truth" in r:
                for k in r["truth"]["criteria_ids"]:
                    by.setdefault(k, [0, 0])
                    by[k][0] += k not in r["truth"]["wrong"]
                    by[k][1] += 1
        out["truth_correct_by_criterion"] = {k: f"{a}/{n}" for k, (a, n) in sorted(by.items())}
    if not ok:
        return out
    for party in PARTIES:
        out[f"wer_{party}"] = _ratio(sum(r[party]["edits"] for r in ok), sum(r[party]["ref_words"] for r in ok))
    compared = [r for r in ok if "verdict_changes" in r]
    if compared:
        def total(key: str, parties=PARTIES) -> float:
            return sum(r[p][key] for r in compared for p in parties)

        out["words_lost"] = _ratio(total("deleted"), total("clean_words"))
        for party in PARTIES:
            out[f"words_lost_{party}"] = _ratio(total("deleted", (party,)), total("clean_words", (party,)))
        out["words_substituted"] = _ratio(total("substituted"), total("clean_words"))
        out["words_added"] = total("inserted")
        changes = [c for r in compared for c in r["verdict_changes"].values()]
        out["verdict_changes"] = len(changes)
        out["pass_to_fail"] = changes.count("pass->fail")
        out["pass_to_unknown"] = changes.count("pass->unknown")
        out["verdicts_compared"] = sum(len(r["verdicts"]) for r in compared)
    shares = [r["speech_heard_share"] for r in ok if r["speech_heard_share"] is not None]
    out["speech_heard_share"] = round(sum(shares) / len(shares), 3) if shares else None
    out["wall_s"] = round(sum(r["wall_s"] for r in ok), 1)
    return out


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f}" if pct else f"{value:.3f}"


def print_table(summary: dict[str, dict]) -> None:
    print()
    truth = any("truth_accuracy" in s for s in summary.values())
    strict = any("truth_accuracy_strict" in s for s in summary.values())
    print(f"{'variant':<16}{'files':>6}{'lost%':>7}{'op%':>6}{'cust%':>7}{'subst%':>7}{'added':>7}{'WER op':>8}"
          f"{'cust':>7}"
          + (f"{'acc%':>7}{'ff':>5}{'fp':>5}{'unk':>5}" if truth else "") + (f"{'strict%':>8}" if strict else "")
          + f"{'changed':>9}{'p->f':>6}{'p->unk':>7}{'heard':>7}{'err':>5}")
    for variant, s in summary.items():
        print(f"{variant:<16}{s['files']:>6}{_fmt(s.get('words_lost'), True):>7}"
              f"{_fmt(s.get('words_lost_operator'), True):>6}{_fmt(s.get('words_lost_customer'), True):>7}"
              f"{_fmt(s.get('words_substituted'), True):>7}{s.get('words_added', '-'):>7}"
              f"{_fmt(s.get('wer_operator')):>8}{_fmt(s.get('wer_customer')):>7}"
              + (f"{_fmt(s.get('truth_accuracy'), True):>7}{s.get('false_fails', '-'):>5}"
                 f"{s.get('false_passes', '-'):>5}{s.get('truth_unknown', '-'):>5}" if truth else "")
              + (f"{_fmt(s.get('truth_accuracy_strict'), True):>8}" if strict else "")
              + f"{s.get('verdict_changes', '-'):>9}{s.get('pass_to_fail', '-'):>6}{s.get('pass_to_unknown', '-'):>7}"
              f"{_fmt(s.get('speech_heard_share')):>7}{s['errors']:>5}")
    print("lost% / op% / cust%: words of the clean output deleted in the variant (per party, summed over calls); "
          "subst%: clean words the variant replaced by others; added: words inserted; WER against the human reference; "
          "changed: verdicts that differ from clean; p->f: pass became fail; heard: mean speech_heard_share")
    if truth:
        print("acc%: the product's verdicts equal to the truth's, over the truth's criteria (unknown counts as wrong); "
              "ff: false fails (truth pass, product fail); fp: false passes; unk: product said unknown"
              + ("; strict%: acc% without the calls marked ambiguous" if strict else ""))


def _print_row(row: dict) -> None:
    if "error" in row:
        print(f"{row['call']} {row['variant']:<15} ERROR {row['error']}")
        return
    lost = ""
    if "verdict_changes" in row:
        deleted = sum(row[p]["deleted"] for p in PARTIES)
        clean = sum(row[p]["clean_words"] for p in PARTIES)
        lost = f"lost {deleted}/{clean} added {sum(row[p]['inserted'] for p in PARTIES)}  "
    wer = "  ".join(f"{p[:4]} {row[p]['edits'] / max(row[p]['ref_words'], 1):.3f}" for p in PARTIES)
    acc = ""
    if "truth" in row:
        acc = f"  truth {row['truth']['correct']}/{row['truth']['criteria']}"
        if row["truth"]["wrong"]:  # "truth->product"
            acc += " (wrong: " + ", ".join(f"{k} truth {v.replace('->', ', product ')}"
                                         for k, v in row["truth"]["wrong"].items()) + ")"
    print(f"{row['call']} {row['variant']:<15}{row['duration_s']:>6.1f}s {row['wall_s']:>5.1f}s wall  {lost}WER {wer}  "
          f"heard {_fmt(row['speech_heard_share'])}{acc}")
    for k, change in row.get("verdict_changes", {}).items():
        print(f"    {k}: {change}  ({row['reasons_changed'][k]})")
    if row.get("new_flags") or row.get("lost_flags"):
        print(f"    flags: +{row['new_flags']} -{row['lost_flags']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=str(REPO / "benchmarks" / "data" / "realism"), help="folder with index.json")
    parser.add_argument("--variants", nargs="*", help="only these variants (the clean file always runs)")
    parser.add_argument("--calls", nargs="*", help="only these call ids")
    parser.add_argument("--brand", action="append", default=[],
                        help="judge every call as a centre that answers for this name (the scorecard's brands "
                             "of the set's languages replaced by it, as a deployment lists its own)")
    parser.add_argument("--own-brand", action="store_true",
                        help="judge each call as its own centre: the scorecard's brands narrowed to those its "
                             "reference transcript names (the synthetic sets: one company per call)")
    parser.add_argument("--json", help="default benchmarks/results/realism.json for the default set, "
                                       "else benchmarks/results/<the set's folder name>.json")
    args = parser.parse_args()

    folder = Path(args.set)
    index_path = folder / "index.json"
    if not index_path.is_file():
        print(f"no realism set at {folder} (no index.json): make it first with "
              f".venv/bin/python benchmarks/datasets/make_realism_set.py --out {folder}", file=sys.stderr)
        return 2
    index = json.loads(index_path.read_text(encoding="utf-8"))
    entries = [e for e in index["files"] if not args.calls or e["call"] in args.calls]
    known = set(index["variants"])
    unknown = set(args.variants or ()) - known
    if unknown:
        print(f"unknown variants {sorted(unknown)}; the set has {sorted(known)}", file=sys.stderr)
        return 2
    if not entries:
        print(f"no files for calls {args.calls} in {index_path}", file=sys.stderr)
        return 2

    from dataclasses import replace

    from benchmarks.evaluation import scorecard_with_brands
    from usecases.runtime import build_analyzer, scorecard_for
    from usecases.settings import load_settings

    analyzers: dict[tuple[str, str, tuple[str, ...]], object] = {}
    deployments = tempfile.TemporaryDirectory()

    def brands_of(entry: dict, language: str, settings) -> tuple[str, ...]:
        if args.brand:
            return tuple(args.brand)
        if not args.own_brand:
            return ()
        said = " ".join(t["text"] for t in entry.get("turns", [])).lower().replace("ё", "е")
        listed = scorecard_for(settings).brands.get(language, ())
        return tuple(b for b in listed if b.lower().replace("ё", "е") in said)

    def analyzer_for(entry: dict):
        """One analyzer per (language, operator channel, brands) of the set: hvb_dev is all ("en", "left")."""
        language, channel = entry.get("language", "en"), entry.get("operator_channel", "left")
        settings = load_settings(language=language, operator_channel=channel)
        brands = brands_of(entry, language, settings)
        key = (language, channel, brands)
        if key not in analyzers:
            if brands:
                folder = Path(deployments.name) / str(len(analyzers))
                folder.mkdir()
                card = scorecard_with_brands(settings.judging.scorecard, {language: list(brands)}, folder,
                                             settings.judging.scorecards_dir)
                settings = replace(settings, judging=replace(settings.judging, scorecard=str(card)))
            analyzers[key] = build_analyzer(settings)
        return analyzers[key]

    order = ["clean", *index["variants"]]  # the generator's order, so tables read the same every run
    rows: list[dict] = []
    started = time.perf_counter()
    for call in dict.fromkeys(e["call"] for e in entries):
        mine = {e["variant"]: e for e in entries if e["call"] == call}
        if "clean" not in mine:
            print(f"{call}: no clean file in the index, skipped", file=sys.stderr)
            continue
        analyzer = analyzer_for(mine["clean"])
        clean = analyze(analyzer, folder / mine["clean"]["file"])
        rows.append(measure(mine["clean"], clean, None))
        _print_row(rows[-1])
        for variant in order[1:]:
            if variant in mine and (not args.variants or variant in args.variants):
                rows.append(measure(mine[variant], analyze(analyzer, folder / mine[variant]["file"]), clean))
                _print_row(rows[-1])
    variants = [v for v in order if any(r["variant"] == v for r in rows)]
    summary = {v: summarise([r for r in rows if r["variant"] == v]) for v in variants}
    print_table(summary)
    default_set = folder.resolve() == (REPO / "benchmarks" / "data" / "realism").resolve()
    out = (Path(args.json) if args.json
           else REPO / "benchmarks" / "results" / f"{'realism' if default_set else folder.name}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"set": str(folder), "seed": index.get("seed"), "source": index.get("source", "hvb"),
                               "brands": "own" if args.own_brand else args.brand,
                               "languages": sorted({r["language"] for r in rows}),
                               "took_s": round(time.perf_counter() - started, 1),
                               "summary": summary, "rows": rows}, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
