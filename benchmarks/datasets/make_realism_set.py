"""A telephony realism set made from real calls: each call clean, and with one degradation at a time.

    .venv/bin/python benchmarks/datasets/make_realism_set.py [--source hvb|truth|festvox-ru|ru-two-voices]
                                                    [--dir DIR] [--calls ID ...] [--variants NAME ...] [--seed 0]
                                                    [--out benchmarks/data/realism] [--festvox-calls 5]

Sources (``--source``):

- ``hvb`` (default): the real English calls of ``../shared/eval/hvb_dev`` (operator LEFT / customer
  RIGHT, 8 kHz, human transcripts, reviewer's labels; see ``benchmarks.evaluation.load_real_calls``).
- ``truth``: a folder of calls with ``NAME.truth.json`` (``samples/calls``, ``make_synthetic_set.py``,
  ``make_qa_devset.py``): only the stereo ones (``channels`` 2); each keeps its ``language``, its
  ``operator_channel`` (left or right: every variant treats the operator's channel as the operator's)
  and its truth verdicts (``expected_criteria`` or ``criteria_truth``, in ``labels``; ``ambiguous``
  kept when the truth has it). Audio that is not 8 kHz stereo FLAC is converted into ``OUT/sources/``.
  Default out: ``benchmarks/data/realism_<folder name>``.
- ``festvox-ru``: ``--festvox-calls`` pseudo two-party calls (40-80 s) of real recorded Russian read
  speech (Debian festvox-ru, msu_ru_nsh_clunits: one male speaker), utterances alternating between the
  left (operator) and right (customer) channel, written with truth files (turns, no verdicts) into
  ``OUT/sources/`` and used as a truth folder. Default out: ``benchmarks/data/realism_festvox_ru``.
- ``ru-two-voices``: the same pseudo calls with two real recorded Russian voices: the operator's turns
  are Asterisk's Russian telephone prompts (Debian asterisk-core-sounds-ru-wav: a professional female
  IVR voice, 8 kHz, CC-BY-3.0 by Maxim Topal, texts in core-sounds-ru.txt; prompts with digits left
  out, their references would spell numbers), the customer's festvox msu_ru_nsh (male). Default out:
  ``benchmarks/data/realism_ru_two_voices``.

Every source call gives ``ID.clean.flac`` (the source's samples, unchanged) and one file per
variant, ``ID.VARIANT.EXT`` (see ``VARIANTS`` for what each one does).
Signal-level variants are written as stereo 8 kHz FLAC; codec variants keep the codec's own container
(G.711 in WAV, MP3, Opus in Ogg) so the product decodes what a PBX would hand it, except GSM 06.10,
which is mono only: each channel is coded alone and the decoded channels are joined into a stereo FLAC.

``index.json`` lists every file with its source call, variant, the parameters drawn for it, its
language and operator channel, the truth verdicts (``labels``: the reviewer's for hvb, the truth
file's otherwise) and the reference turns re-timed for that file (words and speakers never change,
only times, for ``sparse`` and ``hold_music``). Parameters are drawn from a generator seeded by
(``--seed``, call id, variant), so a call's files do not depend on which other calls or variants are
made in the same run. Running again with a subset merges into an existing index of the same seed.

Needs ``ffmpeg`` (libmp3lame, libopus, libgsm) on PATH. The recordings stay where they are: only
the derived files are written under ``--out`` (``benchmarks/data/`` is git-ignored).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from benchmarks.evaluation import RealCall, ReferenceTurn, load_real_calls

SR = 8000
CHANNEL = {"operator": 0, "customer": 1}  # hvb_dev: agent LEFT, caller RIGHT

VARIANTS: dict[str, str] = {
    "sparse": "turns cut out of their own channel (padded 0.15 s) and re-laid in order "
              "with 2-15 s of silence between them",
    "quiet_operator": "operator channel 10-25 dB quieter",
    "quiet_customer": "customer channel 10-25 dB quieter",
    "bleed": "each channel gets the other party at -20..-30 dB, delayed 0-20 ms (crosstalk / line echo)",
    "ulaw": "G.711 mu-law, stereo WAV",
    "alaw": "G.711 A-law, stereo WAV",
    "gsm": "GSM 06.10 full rate (ffmpeg libgsm), mono codec: each channel coded alone, "
           "decoded and joined into stereo FLAC",
    "mp3_8k": "MP3 (libmp3lame) at 8 kbit/s per channel (plain stereo, 16 kbit/s in all)",
    "mp3_16k": "MP3 (libmp3lame) at 16 kbit/s per channel (plain stereo, 32 kbit/s in all)",
    "opus_8k": "Opus (libopus, voip) at 8 kbit/s per channel, two uncoupled streams in one Ogg file",
    "opus_16k": "Opus (libopus, voip) at 16 kbit/s per channel, two uncoupled streams in one Ogg file",
    "noise": "background noise at 10-20 dB SNR per channel: babble of other calls' speech plus pink noise",
    "clipping": "gain up until 1-5% of the channel's speech samples reach full scale, then hard clipping",
    "dc_offset": "DC offset of 0.05-0.2 full scale per channel, random sign",
    "hold_music": "10-30 s of synthetic hold music (-20 dBFS RMS) on the operator channel, "
                  "inserted between two turns mid-call",
}

FFMPEG = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
# Same input, same bytes: no encoder version tag, no random Ogg serial number.
BITEXACT = ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]


@dataclass(frozen=True)
class Source:
    call: RealCall
    audio: np.ndarray  # (samples, 2) float64 at SR
    channel: dict[str, int] = field(default_factory=lambda: dict(CHANNEL))  # party -> channel index
    language: str = "en"
    # What index.json keeps about a truth-file source: where its verdicts come from, "ambiguous", ...
    extra: dict = field(default_factory=dict)

    @property
    def operator_channel(self) -> str:
        return "left" if self.channel["operator"] == 0 else "right"


@dataclass
class Made:
    path: Path
    params: dict
    turns: list[ReferenceTurn]  # re-timed where the variant moves time


Maker = Callable[[Source, np.random.Generator, Path, "Context"], Made]


@dataclass(frozen=True)
class Context:
    others: list[Source]  # the other calls of the folder: babble material for ``noise``
    tmp: Path


# --- helpers --------------------------------------------------------------------------------


def _rng(seed: int, call_id: str, variant: str) -> np.random.Generator:
    # crc32, not hash(): Python salts string hashes per process.
    return np.random.default_rng([seed, zlib.crc32(call_id.encode()), zlib.crc32(variant.encode())])


def _read(path: Path) -> np.ndarray:
    audio, sr = sf.read(path, dtype="float64", always_2d=True)
    if sr != SR or audio.shape[1] != 2:
        raise SystemExit(f"{path}: expected 8 kHz stereo, got {sr} Hz x {audio.shape[1]}")
    return audio


def _write_flac(path: Path, audio: np.ndarray) -> int:
    """Writes 16-bit stereo FLAC; returns how many samples had to be clipped to full scale."""
    clipped = int(np.count_nonzero(np.abs(audio) > 1.0))
    sf.write(path, np.clip(audio, -1.0, 1.0), SR, format="FLAC", subtype="PCM_16")
    return clipped


def _db(power_ratio: float) -> float:
    return float(10 * np.log10(max(power_ratio, 1e-20)))


def _speech_mask(turns: tuple[ReferenceTurn, ...] | list[ReferenceTurn], speaker: str, n: int) -> np.ndarray:
    """Samples inside ``speaker``'s reference turns: what "speech" means for levels and SNR here."""
    mask = np.zeros(n, dtype=bool)
    for t in turns:
        if t.speaker == speaker:
            mask[max(int(t.start * SR), 0):min(int(t.end * SR), n)] = True
    return mask


def _shifted(turn: ReferenceTurn, shift: float) -> ReferenceTurn:
    return ReferenceTurn(turn.speaker, turn.start + shift, turn.end + shift, turn.text,
                         tuple(w + shift for w in turn.word_times))


def _fade(seg: np.ndarray, ms: float = 10.0) -> np.ndarray:
    """Short linear fades so that cut edges do not click."""
    k = min(int(ms * SR / 1000), len(seg) // 2)
    if k:
        ramp = np.linspace(0.0, 1.0, k)
        seg = seg.copy()
        seg[:k] *= ramp
        seg[-k:] *= ramp[::-1]
    return seg


def _r(x: float, nd: int = 3) -> float:
    return round(float(x), nd)


# --- signal-level variants ------------------------------------------------------------------


def make_sparse(src: Source, rng: np.random.Generator, path: Path, ctx: Context) -> Made:
    pad, lead, tail = 0.15, 1.0, 1.0
    turns = src.call.turns
    pieces: list[tuple[int, int, np.ndarray]] = []  # (channel, first sample, samples)
    retimed, pauses = [], []
    t = lead
    for i, turn in enumerate(turns):
        same = [u for u in turns if u.speaker == turn.speaker and u is not turn]
        # Pad, but never into the neighbouring turn of the same channel: no word may appear twice.
        before = min([pad] + [(turn.start - u.end) / 2 for u in same if u.end <= turn.start])
        after = min([pad] + [(u.start - turn.end) / 2 for u in same if u.start >= turn.end])
        a = max(turn.start - max(before, 0.0), 0.0)
        b = min(turn.end + max(after, 0.0), len(src.audio) / SR)
        ch = src.channel[turn.speaker]
        seg = _fade(src.audio[int(a * SR):int(b * SR), ch])
        if i:
            pauses.append(float(rng.uniform(2.0, 15.0)))
            t += pauses[-1]
        start = int(round(t * SR))
        pieces.append((ch, start, seg))
        retimed.append(_shifted(turn, start / SR - int(a * SR) / SR))
        t = (start + len(seg)) / SR
    out = np.zeros((int(round((t + tail) * SR)), 2))
    for ch, start, seg in pieces:
        out[start:start + len(seg), ch] += seg
    clipped = _write_flac(path, out)
    params = {"pad_s": pad, "pause_s": {"min": _r(min(pauses)), "max": _r(max(pauses)), "mean": _r(np.mean(pauses))},
              "pauses_s": [_r(p, 2) for p in pauses], "lead_s": lead, "tail_s": tail,
              "between_turns": "digital silence on both channels", "clipped_samples": clipped}
    return Made(path, params, retimed)


def _make_quiet(speaker: str) -> Maker:
    def make(src: Source, rng: np.random.Generator, path: Path, ctx: Context) -> Made:
        gain_db = -float(rng.uniform(10.0, 25.0))
        out = src.audio.copy()
        out[:, src.channel[speaker]] *= 10 ** (gain_db / 20)
        return Made(path, {"channel": speaker, "gain_db": _r(gain_db, 2), "clipped_samples": _write_flac(path, out)},
                    list(src.call.turns))
    return make


def make_bleed(src: Source, rng: np.random.Generator, path: Path, ctx: Context) -> Made:
    out = src.audio.copy()
    params: dict = {}
    for into in ("operator", "customer"):
        ch = src.channel["customer" if into == "operator" else "operator"]  # the other party's channel
        gain_db = float(rng.uniform(-30.0, -20.0))
        delay = int(round(rng.uniform(0.0, 20.0) * SR / 1000))
        other = np.concatenate([np.zeros(delay), src.audio[:len(src.audio) - delay, ch]])
        out[:, 1 - ch] += other * 10 ** (gain_db / 20)  # from the clean other channel, not the mixed one
        params[f"into_{into}"] = {"gain_db": _r(gain_db, 2), "delay_ms": _r(delay * 1000 / SR, 3)}
    params["clipped_samples"] = _write_flac(path, out)
    return Made(path, params, list(src.call.turns))


def _pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink (1/f power) noise by shaping white noise in the frequency domain."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spectrum[1:] /= np.sqrt(np.maximum(f[1:], 20.0))
    spectrum[0] = 0.0
    noise = np.fft.irfft(spectrum, n)
    return noise / np.sqrt(np.mean(noise**2))


def _babble(n: int, rng: np.random.Generator, others: list[Source], talkers: int) -> tuple[np.ndarray, list[str]]:
    """Several talkers from other calls, summed at the same level: a call-center floor where no single
    voice stands out. Each talker is one channel's turns joined end to end (the long gaps of a phone
    call taken out, else one or two voices would often be alone and intelligible), at a random
    circular shift and tiled to length."""
    voices = [(s, ch) for s in others for ch in (0, 1)]
    chosen = rng.choice(len(voices), size=min(talkers, len(voices)), replace=False)
    mix, used = np.zeros(n), []
    for k in chosen:
        other, ch = voices[k]
        speaker = "operator" if other.channel["operator"] == ch else "customer"
        x = other.audio[_speech_mask(other.call.turns, speaker, len(other.audio)), ch]
        x = np.resize(np.roll(x, int(rng.integers(len(x)))), n)
        mix += x / np.sqrt(np.mean(x**2) + 1e-12)
        used.append(f"{other.call.call_id}:{'LR'[ch]}")
    return mix / np.sqrt(np.mean(mix**2) + 1e-20), used


def make_noise(src: Source, rng: np.random.Generator, path: Path, ctx: Context) -> Made:
    n = len(src.audio)
    out = src.audio.copy()
    params: dict = {"noise": "babble (6 talkers: other calls' turns joined, equal level, random shifts) + pink noise, "
                             "equal power, independent per channel; "
                             "SNR = speech power in the party's turns / noise power"}
    for speaker, ch in src.channel.items():
        snr_db = float(rng.uniform(10.0, 20.0))
        babble, used = _babble(n, rng, ctx.others, talkers=6) if ctx.others else (np.zeros(n), [])
        noise = babble + _pink(n, rng) if used else _pink(n, rng)
        speech = src.audio[_speech_mask(src.call.turns, speaker, n), ch]
        noise *= np.sqrt(np.mean(speech**2) / np.mean(noise**2) / 10 ** (snr_db / 10))
        out[:, ch] += noise
        params[speaker] = {"snr_db": _r(snr_db, 2), "babble_talkers": used, "noise_dbfs": _r(_db(np.mean(noise**2)), 1)}
    params["clipped_samples"] = _write_flac(path, out)
    return Made(path, params, list(src.call.turns))


def make_clipping(src: Source, rng: np.random.Generator, path: Path, ctx: Context) -> Made:
    out = src.audio.copy()
    params: dict = {}
    for speaker, ch in src.channel.items():
        target = float(rng.uniform(0.01, 0.05))
        mask = _speech_mask(src.call.turns, speaker, len(out))
        level = np.quantile(np.abs(out[mask, ch]), 1.0 - target)  # this share of speech samples ends above full scale
        gain = 1.0 / max(level, 1e-6)
        out[:, ch] *= gain
        params[speaker] = {"target_share": _r(target, 4), "gain_db": _r(20 * np.log10(gain), 2),
                           "clipped_share_of_speech": _r(np.mean(np.abs(out[mask, ch]) >= 1.0), 4)}
    params["clipped_samples"] = _write_flac(path, out)  # the clipping is the point here
    return Made(path, params, list(src.call.turns))


def make_dc_offset(src: Source, rng: np.random.Generator, path: Path, ctx: Context) -> Made:
    out = src.audio.copy()
    params: dict = {}
    for speaker, ch in src.channel.items():
        dc = float(rng.uniform(0.05, 0.2)) * float(rng.choice([-1.0, 1.0]))
        out[:, ch] += dc
        params[speaker] = {"offset": _r(dc, 4)}
    # Loud peaks plus the offset can pass full scale: counted, so a reader can tell it is not clipping.
    params["clipped_samples"] = _write_flac(path, out)
    return Made(path, params, list(src.call.turns))


def _hold_music(seconds: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Synthetic hold music: a looping four-chord progression (root, third, fifth) with a pentatonic
    melody on top, soft note envelopes, scaled to -20 dBFS RMS."""
    root = 220.0 * 2 ** (int(rng.integers(0, 12)) / 12)
    bpm = float(rng.uniform(80.0, 110.0))
    beat = 60.0 / bpm
    progressions = [[0, 7, 9, 5], [0, 5, 7, 0], [9, 5, 0, 7]]  # I-V-vi-IV, I-IV-V-I, vi-IV-I-V (semitones)
    prog = progressions[int(rng.integers(len(progressions)))]
    pentatonic = [0, 2, 4, 7, 9, 12, 14, 16]
    n = int(seconds * SR)
    t = np.arange(n) / SR
    music = np.zeros(n)
    bar = 4 * beat
    for k in range(int(np.ceil(seconds / bar))):
        a, b = int(k * bar * SR), min(int((k + 1) * bar * SR), n)
        tt = t[a:b] - t[a]
        chord_root = root * 2 ** (prog[k % len(prog)] / 12)
        minor = prog[k % len(prog)] == 9
        env = np.minimum(tt / 0.05, 1.0) * np.exp(-tt / (bar * 1.5))
        for interval in (0, 3 if minor else 4, 7):
            music[a:b] += 0.25 * env * np.sin(2 * np.pi * chord_root * 2 ** (interval / 12) * tt)
    melody = []
    for k in range(int(np.ceil(seconds / beat))):
        a, b = int(k * beat * SR), min(int((k + 1) * beat * SR), n)
        tt = t[a:b] - t[a]
        note = pentatonic[int(rng.integers(len(pentatonic)))] + 12
        melody.append(note)
        f = root * 2 ** (note / 12)
        env = np.minimum(tt / 0.02, 1.0) * np.exp(-tt / (beat * 0.6))
        music[a:b] += 0.35 * env * (np.sin(2 * np.pi * f * tt) + 0.3 * np.sin(4 * np.pi * f * tt))
    music = _fade(music, 200.0)
    music *= 10 ** (-20 / 20) / np.sqrt(np.mean(music**2))
    return music, {"root_hz": _r(root, 2), "bpm": _r(bpm, 1), "progression_semitones": prog,
                   "melody_notes": len(melody)}


def make_hold_music(src: Source, rng: np.random.Generator, path: Path, ctx: Context) -> Made:
    turns = src.call.turns
    duration = len(src.audio) / SR
    # Candidate points: gaps no turn covers (both parties silent), the one nearest mid-call wins.
    gaps = []
    for i in range(1, len(turns)):
        covered = max(u.end for u in turns[:i])
        if turns[i].start > covered:
            gaps.append((covered, turns[i].start))
    a, b = min(gaps, key=lambda g: abs((g[0] + g[1]) / 2 - duration / 2)) if gaps else (duration / 2, duration / 2)
    at = int(round((a + b) / 2 * SR))
    hold_s = float(rng.uniform(10.0, 30.0))
    music, music_params = _hold_music(hold_s, rng)
    inserted = np.zeros((len(music), 2))
    inserted[:, src.channel["operator"]] = music
    out = np.concatenate([src.audio[:at], inserted, src.audio[at:]])
    shift = len(music) / SR
    retimed = [_shifted(t, shift) if t.start >= at / SR else t for t in turns]
    params = {"insert_at_s": _r(at / SR), "hold_s": _r(shift), "channel": "operator", "music_rms_dbfs": -20.0,
              "music_peak_dbfs": _r(20 * np.log10(np.max(np.abs(music))), 1), "customer_during_hold": "digital silence",
              "turns_before": sum(t.start < at / SR for t in turns), **music_params,
              "clipped_samples": _write_flac(path, out)}
    return Made(path, params, retimed)


# --- codec variants -------------------------------------------------------------------------


def _decode(path: Path, channels: int = 2, fmt: list[str] | None = None) -> np.ndarray:
    """Any file ffmpeg reads, as (samples, channels) float64 at 8 kHz."""
    raw = subprocess.run(FFMPEG + (fmt or []) + ["-i", str(path), "-f", "f32le", "-ac", str(channels), "-ar", str(SR),
                                                 "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32).reshape(-1, channels).astype(np.float64)


def _lag(ref: np.ndarray, got: np.ndarray, max_lag: int = 4000) -> int:
    """Samples ``got`` is late against ``ref`` (cross-correlation peak), to show that no re-timing is needed."""
    n = min(len(ref), len(got), 30 * SR)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    xc = np.fft.irfft(np.fft.rfft(got[:n], size) * np.conj(np.fft.rfft(ref[:n], size)), size)
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    idx = np.concatenate([np.arange(0, max_lag + 1), np.arange(size - max_lag, size)])
    return int(lags[np.argmax(xc[idx])])


def _corr(x: np.ndarray) -> float:
    left, right = x[:, 0], x[:, 1]
    return float(np.dot(left, right) / np.sqrt(np.dot(left, left) * np.dot(right, right) + 1e-20))


def _codec_check(src: Source, decoded: np.ndarray) -> dict:
    """What the codec did to the waveform: delay, length, cross-channel leak and waveform SNR
    (low for perceptual codecs by nature; the ASR figures are what count)."""
    lags = [_lag(src.audio[:, ch], decoded[:, ch]) for ch in (0, 1)]
    n = min(len(src.audio), len(decoded))
    err = decoded[:n] - src.audio[:n] if lags == [0, 0] else None
    if err is not None and not np.any(err):
        snr = "identical samples"  # the source was G.711 mu-law to begin with: that transcode is lossless
    else:
        snr = None if err is None else _r(_db(np.sum(src.audio[:n] ** 2) / np.sum(err**2)), 1)
    return {
        "decoded_lag_ms": [_r(k * 1000 / SR, 3) for k in lags],
        "decoded_length_diff_ms": _r((len(decoded) - len(src.audio)) * 1000 / SR, 3),
        "channel_correlation": {"source": _r(_corr(src.audio), 4), "decoded": _r(_corr(decoded[:n]), 4)},
        "waveform_snr_db": snr,
        "band_edge_hz": {"source": _band_edge(src.audio), "decoded": _band_edge(decoded)},
    }


def _band_edge(x: np.ndarray, share: float = 0.999) -> int:
    """Frequency below which ``share`` of the energy lies: shows a codec's low-pass (MP3 at 8 kbit/s: ~2 kHz)."""
    power = np.abs(np.fft.rfft(x, axis=0)) ** 2
    cumulative = np.cumsum(power.sum(axis=1))
    return int(np.fft.rfftfreq(len(x), 1 / SR)[np.searchsorted(cumulative, share * cumulative[-1])])


def _make_ffmpeg(codec_args: list[str], container: str, note: dict) -> Maker:
    """Stereo encode straight from the clean source FLAC into the codec's own container."""
    def make(src: Source, rng: np.random.Generator, path: Path, ctx: Context) -> Made:
        subprocess.run(FFMPEG + ["-i", str(src.call.path)] + codec_args + BITEXACT + [str(path)], check=True)
        params = {"container": container, "ffmpeg_args": codec_args, **note, **_codec_check(src, _decode(path))}
        return Made(path, params, list(src.call.turns))
    return make


def make_gsm(src: Source, rng: np.random.Generator, path: Path, ctx: Context) -> Made:
    decoded = []
    for ch in (0, 1):
        coded = ctx.tmp / f"{src.call.call_id}.{ch}.gsm"
        subprocess.run(FFMPEG + ["-i", str(src.call.path), "-af", f"pan=mono|c0=c{ch}", "-c:a", "libgsm", "-ar",
                                 str(SR), "-f", "gsm"] + BITEXACT + [str(coded)], check=True)
        x = _decode(coded, channels=1, fmt=["-f", "gsm"])[:, 0]
        decoded.append(np.pad(x, (0, max(len(src.audio) - len(x), 0)))[:len(src.audio)])  # GSM pads to 20 ms frames
        bits = coded.stat().st_size * 8 / (len(src.audio) / SR) / 1000
    joined = np.stack(decoded, axis=1)
    check = _codec_check(src, joined)
    params = {"container": "flac (decoded GSM)", "codec": "gsm 06.10 full rate, ffmpeg libgsm",
              "mono_codec": "each channel encoded alone and decoded, then joined back into stereo",
              "bitrate_kbps_per_channel": _r(bits, 2), **check, "clipped_samples": _write_flac(path, joined)}
    return Made(path, params, list(src.call.turns))


def _opus(kbps: int) -> Maker:
    # libopus codes a coupled stereo stream at these rates as mono (both channels come out identical,
    # correlation 1.0, measured here): a PBX doing that loses the parties' separation altogether.
    # Mapping family 255 keeps two independent mono streams; -b:a is their total.
    return _make_ffmpeg(["-c:a", "libopus", "-application", "voip", "-mapping_family", "255", "-b:a", f"{2 * kbps}k"],
                        "ogg opus", {"bitrate_kbps_per_channel": kbps, "bitrate_kbps_total": 2 * kbps,
                                     "stereo": "two uncoupled mono streams (coupled stereo at this rate is mono)"})


def _mp3(kbps: int) -> Maker:
    # Per channel, as the Opus variants and as a PBX writing each leg at that rate; plain stereo, since
    # joint (mid/side) stereo would mix the parties at low rates.
    return _make_ffmpeg(["-c:a", "libmp3lame", "-joint_stereo", "0", "-b:a", f"{2 * kbps}k", "-ar", str(SR)], "mp3",
                        {"bitrate_kbps_per_channel": kbps, "bitrate_kbps_total": 2 * kbps,
                         "stereo": "plain (not joint) stereo, 8 kHz"})


MAKERS: dict[str, Maker] = {
    "sparse": make_sparse,
    "quiet_operator": _make_quiet("operator"),
    "quiet_customer": _make_quiet("customer"),
    "bleed": make_bleed,
    "ulaw": _make_ffmpeg(["-c:a", "pcm_mulaw", "-ar", str(SR)], "wav", {"codec": "G.711 mu-law"}),
    "alaw": _make_ffmpeg(["-c:a", "pcm_alaw", "-ar", str(SR)], "wav", {"codec": "G.711 A-law"}),
    "gsm": make_gsm,
    "mp3_8k": _mp3(8),
    "mp3_16k": _mp3(16),
    "opus_8k": _opus(8),
    "opus_16k": _opus(16),
    "noise": make_noise,
    "clipping": make_clipping,
    "dc_offset": make_dc_offset,
    "hold_music": make_hold_music,
}
EXTENSIONS = {"ulaw": "wav", "alaw": "wav", "mp3_8k": "mp3", "mp3_16k": "mp3", "opus_8k": "opus", "opus_16k": "opus"}
assert MAKERS.keys() == VARIANTS.keys()


# --- the set --------------------------------------------------------------------------------


def _turn_json(t: ReferenceTurn) -> dict:
    # 0.1 ms: re-timed turns move by whole samples (0.125 ms), not whole milliseconds.
    return {"speaker": t.speaker, "start": _r(t.start, 4), "end": _r(t.end, 4), "text": t.text,
            "word_times": [_r(w, 4) for w in t.word_times]}


def _entry(src: Source, variant: str, made: Made) -> dict:
    info = sf.info(made.path) if made.path.suffix == ".flac" else None
    return {
        "file": made.path.name,
        "call": src.call.call_id,
        "variant": variant,
        "description": VARIANTS.get(variant, "the source recording, unchanged"),
        "source": str(src.call.path),
        "params": made.params,
        "duration_s": _r(info.duration if info else len(src.audio) / SR, 2),
        "retimed": variant in ("sparse", "hold_music"),
        "language": src.language,
        "operator_channel": src.operator_channel,
        "labels": src.call.labels,  # truth verdicts: the reviewer's (hvb) or the truth file's
        **src.extra,
        "turns": [_turn_json(t) for t in made.turns],
    }


def make_clean(src: Source, path: Path) -> Made:
    # int16 in, int16 out: the very samples of the source, only re-wrapped.
    samples, _ = sf.read(src.call.path, dtype="int16", always_2d=True)
    sf.write(path, samples, SR, format="FLAC", subtype="PCM_16")
    return Made(path, {"container": "flac", "samples": "identical to the source"}, list(src.call.turns))


# --- sources --------------------------------------------------------------------------------

SOURCES = {
    "hvb": "real English calls of a Harper Valley Bank style folder "
           "(ID.stereo.flac + ID.transcript.json + labels.json)",
    "truth": "stereo calls with NAME.truth.json (samples/calls, make_synthetic_set.py, make_qa_devset.py): "
             "language, operator_channel, turns and truth verdicts from the truth file",
    "ru-two-voices": "festvox-ru's pseudo calls with the operator's turns in a second real voice: Asterisk's Russian "
                     "IVR prompts (asterisk-core-sounds-ru-wav, female)",
    "festvox-ru": "pseudo two-party calls of real recorded Russian read speech (festvox-ru msu_ru_nsh: one male "
                  "speaker), utterances alternating between the channels; no truth verdicts",
}
DEFAULT_DIRS = {
    "hvb": REPO.parent / "shared" / "eval" / "hvb_dev",
    "truth": REPO / "benchmarks" / "data" / "synthetic",
    "festvox-ru": Path("/usr/share/festival/voices/russian/msu_ru_nsh_clunits"),
    "ru-two-voices": Path("/usr/share/festival/voices/russian/msu_ru_nsh_clunits"),
}
ASTERISK_RU = Path("/usr/share/asterisk/sounds/ru_RU_f_IvrvoiceRU")
ASTERISK_RU_TEXTS = Path("/usr/share/doc/asterisk-core-sounds-ru/core-sounds-ru.txt.gz")
TRUTH_VERDICTS = ("expected_criteria", "criteria_truth")  # samples / synthetic set, QA dev set


def _as_8k_stereo(path: Path, folder: Path) -> Path:
    """``path`` itself when it is 8 kHz stereo FLAC (the clean file re-wraps its samples), else an 8 kHz
    16-bit stereo FLAC copy under ``folder`` (ffmpeg's resampler)."""
    info = sf.info(path)
    if info.samplerate == SR and info.channels == 2 and info.format == "FLAC":
        return path
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / f"{path.stem}.8k.flac"
    subprocess.run(FFMPEG + ["-i", str(path), "-ac", "2", "-ar", str(SR), "-c:a", "flac", "-sample_fmt", "s16"]
                   + BITEXACT + [str(copy)], check=True)
    return copy


def load_truth_calls(folder: Path, converted: Path) -> tuple[list[Source], list[str]]:
    """The stereo calls of a folder of ``NAME.truth.json`` files; (sources, names of the calls left out and why).

    A call keeps its language, which channel its operator is on, its turns (speaker, start, end, text;
    no word times) and its truth verdicts (``expected_criteria`` or ``criteria_truth``, whichever it
    has: in ``labels`` of every index entry); mono calls are left out."""
    sources, skipped = [], []
    for truth_path in sorted(folder.glob("*.truth.json")):
        name = truth_path.name[: -len(".truth.json")]
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        if truth.get("channels") != 2:
            skipped.append(f"{name} (channels {truth.get('channels')})")
            continue
        audio_path = folder / truth["file"]
        if not audio_path.is_file():
            skipped.append(f"{name} (no {truth['file']})")
            continue
        operator = truth.get("operator_channel") or "left"
        if operator not in ("left", "right"):
            raise SystemExit(f"{truth_path}: operator_channel {operator!r}, expected left or right")
        channel = {"operator": 0, "customer": 1} if operator == "left" else {"operator": 1, "customer": 0}
        field_name = next((f for f in TRUTH_VERDICTS if f in truth), None)
        verdicts = dict(truth[field_name]) if field_name else {}
        turns = tuple(ReferenceTurn(t["speaker"], float(t["start"]), float(t["end"]), t["text"])
                      for t in sorted(truth["turns"], key=lambda t: (t["start"], t["end"])) if t["text"].strip())
        if {t.speaker for t in turns} - set(channel):
            raise SystemExit(f"{truth_path}: speakers {sorted({t.speaker for t in turns})}, expected operator/customer")
        path = _as_8k_stereo(audio_path, converted)
        extra = {"truth_file": str(truth_path), "truth_verdicts": field_name}
        if "ambiguous" in truth:
            extra["ambiguous"] = bool(truth["ambiguous"])
        sources.append(Source(RealCall(name, path, turns, verdicts), _read(path), channel, truth.get("language", "en"),
                              extra))
    return sources, skipped


def _festvox_utterances(voice: Path) -> list[tuple[str, str]]:
    """(utterance id, text without the ``+`` stress marks) from ``etc/txt.done.data``."""
    rows = []
    for line in (voice / "etc" / "txt.done.data").read_text(encoding="utf-8").splitlines():
        m = re.match(r'\(\s*(\S+)\s+"(.*)"\s*\)\s*$', line)
        if m and (voice / "wav" / f"{m.group(1)}.wav").is_file():
            rows.append((m.group(1), " ".join(m.group(2).replace("+", "").split())))
    return rows


def _asterisk_prompts(folder: Path = ASTERISK_RU, texts: Path = ASTERISK_RU_TEXTS) -> list[tuple[Path, str]]:
    """(wav, text) of the Russian prompts that are speech (not "[tones]") and hold no digits."""
    import gzip

    rows = []
    for line in gzip.open(texts, "rt", encoding="utf-8"):
        name, sep, text = line.partition(":")
        text = " ".join(text.split())
        wav = folder / f"{name.strip()}.wav"
        if sep and text and not text.startswith("[") and not re.search(r"\d", text) and wav.is_file():
            rows.append((wav, text))
    return rows


def _trimmed(x: np.ndarray, sr: int, floor_db: float = -40.0, keep_s: float = 0.05) -> np.ndarray:
    """``x`` without its leading and trailing silence (20 ms frames below ``floor_db`` re the loudest frame)."""
    hop = int(0.02 * sr)
    frames = np.sqrt(np.mean(x[: len(x) // hop * hop].reshape(-1, hop) ** 2, axis=1) + 1e-20)
    loud = np.flatnonzero(20 * np.log10(frames / frames.max()) > floor_db)
    if not len(loud):
        return x
    keep = int(keep_s * sr)
    return x[max(loud[0] * hop - keep, 0):min((loud[-1] + 1) * hop + keep, len(x))]


def make_festvox_calls(voice: Path, out: Path, calls: int, seed: int, two_voices: bool = False) -> Path:
    """Writes ``calls`` pseudo two-party calls of 40-80 s of real Russian read speech into ``out`` as
    ``NAME.flac`` (8 kHz stereo, operator LEFT) + ``NAME.truth.json`` (no verdicts); returns ``out``.

    Each call takes utterances no other call uses (seeded draw), alternating operator / customer, each
    trimmed of its silent ends, resampled to 8 kHz (polyphase, anti-aliased), scaled to -20 dBFS RMS
    (+-3 dB per utterance), with 0.3-1.2 s between turns and 1 s lead and tail. ``two_voices``: the
    operator's utterances are Asterisk's Russian prompts instead (a second, female, real voice)."""
    from scipy.signal import resample_poly

    utterances = [(voice / "wav" / f"{utt}.wav", text, utt) for utt, text in _festvox_utterances(voice)]
    rng = np.random.default_rng([seed, zlib.crc32(b"ru-two-voices" if two_voices else b"festvox-ru")])
    order = [utterances[k] for k in rng.permutation(len(utterances))]
    prompts = [(wav, text, wav.stem) for wav, text in _asterisk_prompts()] if two_voices else []
    prompt_order = [prompts[k] for k in rng.permutation(len(prompts))]
    out.mkdir(parents=True, exist_ok=True)
    made = 0
    for n in range(calls):
        target = float(rng.uniform(40.0, 80.0))
        name = f"{'ru_two_voices' if two_voices else 'festvox_ru'}_{n + 1:02d}"
        pieces, turns, t = [], [], 1.0
        while t < target:
            speaker = ("operator", "customer")[len(turns) % 2]
            pool = prompt_order if two_voices and speaker == "operator" else order
            if not pool:
                break
            wav, text, utt = pool.pop()
            x, sr = sf.read(wav, dtype="float64")
            x = resample_poly(_trimmed(x, sr), SR, sr) if sr != SR else _trimmed(x, sr)
            x *= 10 ** ((-20.0 + float(rng.uniform(-3.0, 3.0))) / 20) / np.sqrt(np.mean(x**2) + 1e-20)
            if turns and t + len(x) / SR + 1.0 > 80.0:  # the last turn may not take the call past 80 s
                pool.append((wav, text, utt))
                break
            start = int(round(t * SR))
            pieces.append((CHANNEL[speaker], start, _fade(x, 5.0)))
            turns.append({"speaker": speaker, "start": _r(start / SR), "end": _r((start + len(x)) / SR), "text": text,
                          "utterance": utt})
            t = (start + len(x)) / SR + float(rng.uniform(0.3, 1.2))
        if not turns:
            break
        audio = np.zeros((int(round((turns[-1]["end"] + 1.0) * SR)), 2))
        for ch, start, x in pieces:
            audio[start:start + len(x), ch] += x
        _write_flac(out / f"{name}.flac", audio)
        source = (f"operator: {ASTERISK_RU} (real recorded IVR prompts, female); customer: {voice} (real recorded "
                  "speech, male)" if two_voices else f"{voice} (real recorded speech, one male speaker)")
        topic = ("telephone prompts and read literary text, not a call" if two_voices else
                 "read literary text (festvox-ru msu_ru_nsh), not a call")
        truth = {"file": f"{name}.flac", "language": "ru", "channels": 2, "operator_channel": "left",
                 "duration": _r(len(audio) / SR, 2), "topic": topic, "source": source, "turns": turns}
        (out / f"{name}.truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n",
                                                encoding="utf-8")
        made += 1
    if made < calls:
        print(f"{'ru-two-voices' if two_voices else 'festvox-ru'}: utterances ran out after {made} calls",
              file=sys.stderr)
    return out


def load_sources(kind: str, folder: Path, out: Path, festvox_calls: int, seed: int) -> list[Source]:
    if kind == "hvb":
        return [Source(c, _read(c.path)) for c in load_real_calls(folder)]
    if kind in ("festvox-ru", "ru-two-voices"):
        folder = make_festvox_calls(folder, out / "sources", festvox_calls, seed, two_voices=kind == "ru-two-voices")
    sources, skipped = load_truth_calls(folder, out / "sources")
    if skipped:
        print(f"left out (not stereo or no audio): {len(skipped)}: {', '.join(skipped)}")
    return sources


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=list(SOURCES), default="hvb",
                        help="hvb (default): real English calls; truth: stereo calls with NAME.truth.json; "
                             "festvox-ru: pseudo calls of real Russian read speech; ru-two-voices: the same with "
                             "the operator in a second real voice (Asterisk's Russian prompts)")
    parser.add_argument("--dir", help="the source folder (default: ../shared/eval/hvb_dev; truth: "
                                      "benchmarks/data/synthetic; festvox-ru: the msu_ru_nsh_clunits voice)")
    parser.add_argument("--festvox-calls", type=int, default=5, help="festvox-ru: how many pseudo calls (default 5)")
    parser.add_argument("--calls", nargs="*", help="only these call ids (default: all)")
    parser.add_argument("--variants", nargs="*", choices=list(VARIANTS), help="only these variants (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="default benchmarks/data/realism (hvb), realism_NAME for a truth folder NAME, "
                                      "realism_festvox_ru")
    args = parser.parse_args()

    folder = Path(args.dir) if args.dir else DEFAULT_DIRS[args.source]
    default_out = {"hvb": "realism", "truth": f"realism_{folder.name}", "festvox-ru": "realism_festvox_ru",
                   "ru-two-voices": "realism_ru_two_voices"}[args.source]
    out = Path(args.out) if args.out else REPO / "benchmarks" / "data" / default_out
    if not folder.is_dir():
        where = {"hvb": " (../shared/eval/hvb_dev beside the repository)", "truth": "",
                 "festvox-ru": " (Debian package festvox-ru)",
                 "ru-two-voices": " (Debian packages festvox-ru and asterisk-core-sounds-ru-wav)"}[args.source]
        print(f"no source calls at {folder}{where}", file=sys.stderr)
        return 2
    if args.source == "ru-two-voices" and not (ASTERISK_RU.is_dir() and ASTERISK_RU_TEXTS.is_file()):
        print(f"no Russian prompts at {ASTERISK_RU} (Debian packages asterisk-core-sounds-ru-wav and "
              "asterisk-core-sounds-ru)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    all_calls = load_sources(args.source, folder, out, args.festvox_calls, args.seed)
    chosen = [s for s in all_calls if not args.calls or s.call.call_id in args.calls]
    missing = set(args.calls or ()) - {s.call.call_id for s in chosen}
    if missing or not chosen:
        print(f"unknown call ids: {sorted(missing) or '(none in folder)'}", file=sys.stderr)
        return 2
    variants = args.variants or list(VARIANTS)
    if shutil.which("ffmpeg") is None and set(variants) & (set(EXTENSIONS) | {"gsm"}):
        print("ffmpeg not on PATH: the codec variants need it (or pick others with --variants)", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    entries: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for src in chosen:
            # Babble comes from every other call of the folder, whichever calls this run makes.
            ctx = Context([s for s in all_calls if s is not src], Path(tmp))
            made = make_clean(src, out / f"{src.call.call_id}.clean.flac")
            entries.append(_entry(src, "clean", made))
            print(f"{made.path.name}")
            for variant in variants:
                t = time.perf_counter()
                path = out / f"{src.call.call_id}.{variant}.{EXTENSIONS.get(variant, 'flac')}"
                made = MAKERS[variant](src, _rng(args.seed, src.call.call_id, variant), path, ctx)
                entries.append(_entry(src, variant, made))
                print(f"{made.path.name:<40} {entries[-1]['duration_s']:>6.1f} s  {time.perf_counter() - t:5.2f} s  "
                      f"{_summary(made.params)}")
    took = time.perf_counter() - started
    index_path = out / "index.json"
    old = json.loads(index_path.read_text(encoding="utf-8")) if index_path.is_file() else None
    if old is not None and old.get("seed") == args.seed and old.get("source", "hvb") == args.source:
        written = {e["file"] for e in entries}
        entries = [e for e in old["files"] if e["file"] not in written] + entries
    elif old is not None:
        print(f"index.json had seed {old.get('seed')}, source {old.get('source', 'hvb')}: replaced; "
              f"files of calls not made now are no longer listed")
    entries.sort(key=lambda e: (e["call"], e["variant"] != "clean", e["variant"]))
    sides = {e.get("operator_channel", "left") for e in entries}
    channels = ({"left": "operator", "right": "customer"} if sides == {"left"} else
                {"left": "customer", "right": "operator"} if sides == {"right"} else "per file: see operator_channel")
    index = {"seed": args.seed, "source": args.source, "source_dir": str(folder), "sample_rate": SR,
             "languages": sorted({e.get("language", "en") for e in entries}),
             "channels": channels, "variants": VARIANTS, "took_s": _r(took, 1), "files": entries}
    index_path.write_text(json.dumps(index, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {len(chosen)} calls x {len(variants) + 1} files to {out} (index lists {len(entries)}) "
          f"in {took:.1f} s")
    return 0


def _summary(params: dict) -> str:
    """A one-line taste of the drawn parameters for the console."""
    flat = []
    for key, value in params.items():
        if isinstance(value, dict):
            inner = {k: v for k, v in value.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
            flat.append(f"{key}=" + ",".join(f"{k}:{v}" for k, v in list(inner.items())[:3]))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat.append(f"{key}={value}")
    return " ".join(flat)[:150]


if __name__ == "__main__":
    sys.exit(main())
