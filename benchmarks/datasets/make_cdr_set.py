"""Generated call detail records of two vendors whose service level, abandonment and handle time are known,
written as the PBX writes them (Asterisk's Master.csv) or as an outsourcer's export (a CSV with ``;`` and Russian
headers, with a vendor column). Used by tests/test_cdr_kpis.py and benchmarks/cdr_kpis.py.

Per record of a vendor (``VendorProfile``): abandoned with probability ``abandon``, then waiting uniformly
0..``abandon_wait_max`` s before hanging up; else answered within the threshold (uniformly 0..20 s) with
probability ``in_time``, or later (uniformly 21..180 s); talk time uniform ``talk`` s. So with the default rules
(80/20, short abandons < 5 s left out, abandoned calls counting against):

    short  = abandon * 5 / abandon_wait_max
    SL     = (1 - abandon) * in_time / (1 - short)
    abandonment = (abandon - short) / (1 - short)

``VendorProfile.truth`` gives these.

    python benchmarks/datasets/make_cdr_set.py OUT.csv --records 100000 [--format asterisk|csv]
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

FIRST_DAY = datetime(2026, 11, 2, 8, 0)
CSV_HEADER = ("ID звонка", "Очередь", "Вход в очередь", "Ответ", "Завершение", "Оператор", "Статус", "Подрядчик")
CSV_MAPPING = """\
[columns]
call_id = "ID звонка"
queue = "Очередь"
entered = "Вход в очередь"
answered = "Ответ"
ended = "Завершение"
agent = "Оператор"
disposition = "Статус"
vendor = "Подрядчик"

[times]
format = "%d.%m.%Y %H:%M:%S"

[dispositions]
"Принят" = "answered"
"Потерян" = "abandoned"
"""


@dataclass(frozen=True)
class VendorProfile:
    name: str
    agents: tuple[str, ...]
    abandon: float
    abandon_wait_max: float
    in_time: float
    talk: tuple[float, float]

    def truth(self, short_abandon_s: float = 5.0) -> dict[str, float]:
        short = self.abandon * min(short_abandon_s, self.abandon_wait_max) / self.abandon_wait_max
        return {"service_level": (1 - self.abandon) * self.in_time / (1 - short),
                "abandonment": (self.abandon - short) / (1 - short),
                "talk_time": sum(self.talk) / 2}


# ContactPro is better on every figure; CallNorth answers fewer in time and loses more callers.
CONTACT_PRO = VendorProfile("ContactPro", tuple(f"op.contactpro{i}" for i in range(1, 9)), 0.05, 120.0, 0.85,
                            (120.0, 360.0))
CALL_NORTH = VendorProfile("CallNorth", tuple(f"op.callnorth{i}" for i in range(1, 4)), 0.12, 120.0, 0.70,
                           (150.0, 450.0))
VENDORS = (CONTACT_PRO, CALL_NORTH)


@dataclass(frozen=True)
class GeneratedRecord:
    uniqueid: str
    vendor: str
    queue: str
    agent: str | None
    entered: datetime
    answered: datetime | None
    ended: datetime


def generate(records: int = 2000, share_b: float = 0.3, seed: int = 0,
             vendors: tuple[VendorProfile, VendorProfile] = VENDORS, days: int = 26) -> list[GeneratedRecord]:
    """``records`` records, ``share_b`` of them (rounded) by the second vendor, deterministic from ``seed``."""
    rng = random.Random(seed)
    n_b = round(records * share_b)
    which = [1] * n_b + [0] * (records - n_b)
    rng.shuffle(which)
    out = []
    base = 1762070000
    for i, side in enumerate(which):
        v = vendors[side]
        entered = FIRST_DAY + timedelta(days=rng.randrange(days), seconds=rng.randrange(10 * 3600))
        queue = "support-ru" if rng.random() < 0.6 else "support-en"
        if rng.random() < v.abandon:
            wait = rng.uniform(0, v.abandon_wait_max)
            out.append(GeneratedRecord(f"{base + i}.{i}", v.name, queue, None, entered, None,
                                       entered + timedelta(seconds=int(wait))))
            continue
        wait = rng.uniform(0, 20) if rng.random() < v.in_time else rng.uniform(21, 180)
        answered = entered + timedelta(seconds=int(wait))  # whole seconds, as a CDR writes: never past 20
        talk = rng.uniform(*v.talk)
        out.append(GeneratedRecord(f"{base + i}.{i}", v.name, queue, rng.choice(v.agents), entered, answered,
                                   answered + timedelta(seconds=round(talk))))
    return out


def _q(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def asterisk_line(r: GeneratedRecord, n: int) -> str:
    """One Master.csv line with loguniqueid, loguserfield and newcdrcolumns on (21 values)."""
    def t(moment: datetime | None) -> str:
        return "" if moment is None else _q(f"{moment:%Y-%m-%d %H:%M:%S}")  # an empty time is written unquoted

    caller = f"7916{n % 10_000_000:07d}"
    duration = int((r.ended - r.entered).total_seconds())
    billsec = 0 if r.answered is None else int((r.ended - r.answered).total_seconds())
    agent_channel = "" if r.agent is None else f"PJSIP/{r.agent}-{n % 0xFFFFFFFF:08x}"
    values = [_q(""), _q(caller), _q("600"), _q("from-queue"), _q(f'"Customer" <{caller}>'),
              _q(f"PJSIP/trunk-{n:08x}"), _q(agent_channel), _q("Queue"), _q(f"{r.queue},t,,,300"),
              t(r.entered), t(r.answered), t(r.ended), str(duration), str(billsec),
              _q("ANSWERED" if r.answered else "NO ANSWER"), _q("DOCUMENTATION"), _q(r.uniqueid), _q(""),
              _q(""), _q(r.uniqueid), "1"]
    return ",".join(values)


def csv_line(r: GeneratedRecord) -> str:
    def t(moment: datetime | None) -> str:
        return "" if moment is None else f"{moment:%d.%m.%Y %H:%M:%S}"

    return ";".join([r.uniqueid, r.queue, t(r.entered), t(r.answered), t(r.ended), r.agent or "",
                     "Принят" if r.answered else "Потерян", r.vendor])


def write(path: Path, records: list[GeneratedRecord], fmt: str = "csv") -> None:
    with path.open("w", encoding="utf-8", newline="\n") as f:
        if fmt == "csv":
            f.write(";".join(CSV_HEADER) + "\n")
            f.writelines(csv_line(r) + "\n" for r in records)
        else:
            f.writelines(asterisk_line(r, n) + "\n" for n, r in enumerate(records))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path)
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--share-b", type=float, default=0.3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=("asterisk", "csv"), default="csv")
    args = p.parse_args(argv)
    write(args.out, generate(args.records, args.share_b, args.seed), args.format)
    if args.format == "csv":
        args.out.with_suffix(".mapping.toml").write_text(CSV_MAPPING, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
