"""Lossless JSON for the pipeline's typed records, so a worker on one machine can hand a
``CallAnalysis`` to the loader on another through plain files (the results store).

The records' own ``to_json`` methods are for people (rounded, abridged); this codec keeps every
field, reads the field types from the dataclasses themselves, and rebuilds equal records.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal, Union

import numpy as np


def encode(value: Any) -> Any:
    """A JSON-ready copy of a record (dataclasses, tuples, dicts, numbers, strings, None)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, np.generic):  # a numpy scalar slipped into a record
        return value.item()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot encode {type(value).__name__} in a record")


def decode(cls: type, data: Any) -> Any:
    """The record of type ``cls`` that ``encode`` turned into ``data``."""
    return _decode(cls, data)


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(tp: Any, data: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        if data is None:
            return None
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        errors = []
        for option in options:
            try:
                return _decode(option, data)
            except (TypeError, ValueError, KeyError) as err:
                errors.append(str(err))
        raise ValueError(f"{data!r} fits none of {options}: {errors}")
    if origin is Literal:
        if data not in typing.get_args(tp):
            raise ValueError(f"{data!r} is not one of {typing.get_args(tp)}")
        return data
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in data)
        if len(args) != len(data):
            raise ValueError(f"expected {len(args)} items, got {len(data)}")
        return tuple(_decode(a, v) for a, v in zip(args, data))
    if origin is list:
        (arg,) = typing.get_args(tp)
        return [_decode(arg, v) for v in data]
    if origin is dict:
        key_tp, value_tp = typing.get_args(tp)
        return {_decode(key_tp, k): _decode(value_tp, v) for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise TypeError(f"{tp.__name__} needs an object, got {type(data).__name__}")
        hints = _hints(tp)
        fields = {f.name for f in dataclasses.fields(tp) if f.init}
        unknown = set(data) - fields
        if unknown:
            raise ValueError(f"{tp.__name__} has no fields {sorted(unknown)}")
        return tp(**{name: _decode(hints[name], value) for name, value in data.items()})
    if tp is Any:
        return data
    if tp in (datetime, date):
        return tp.fromisoformat(data)
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise TypeError(f"expected a number, got {data!r}")
        return float(data)
    if tp in (int, str, bool):
        if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
            raise TypeError(f"expected {tp.__name__}, got {data!r}")
        return data
    if tp is type(None):
        if data is not None:
            raise TypeError(f"expected null, got {data!r}")
        return None
    raise TypeError(f"cannot decode into {tp!r}")
