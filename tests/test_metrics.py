"""Conversation metrics: hand-built calls with exact answers, and real VAD on a bundled stereo call."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from pipeline.judging.metrics import ConversationMetrics, conversation_metrics, has_long_silence, mentions_hold
from pipeline.records import Segment, Transcript, Word

CHANNEL = {"operator": 0, "customer": 1}


def seg(speaker: str, start: float, end: float, text: str, channel: int | None = -1) -> Segment:
    """A segment whose words share [start, end] evenly (stereo channel from the role unless given)."""
    tokens = text.split()
    step = (end - start) / len(tokens)
    words = tuple(Word(start + i * step, start + (i + 1) * step - 0.02, w, 0.9) for i, w in enumerate(tokens))
    words = words[:-1] + (Word(words[-1].start, end, tokens[-1], 0.9),)
    ch = CHANNEL.get(speaker) if channel == -1 else channel
    return Segment(speaker, start, end, text, words, ch, 0.9, 1.0)  # type: ignore[arg-type]  # speaker: any test str


def stereo(segments, operator_regions, customer_regions) -> Transcript:
    regions = (tuple(operator_regions), tuple(customer_regions))
    return Transcript("ru", tuple(segments), "test", "stereo_channels", speech_regions=regions)


def test_overtalk_seconds_from_the_two_channels():
    t = stereo(
        [
            seg("operator", 0.2, 4.9, "Здравствуйте, служба поддержки, меня зовут Андрей"),
            seg("customer", 4.1, 6.9, "Да, здравствуйте, у меня не работает интернет"),
            seg("operator", 10.1, 13.9, "Назовите, пожалуйста, номер договора"),
            seg("customer", 13.6, 15.9, "Четыре пять семь восемь"),
            seg("operator", 20.1, 21.9, "Спасибо, проверяю"),
            seg("customer", 21.9, 22.9, "Хорошо"),
        ],
        operator_regions=[(0.0, 5.0), (10.0, 14.0), (20.0, 22.0)],
        customer_regions=[(4.0, 7.0), (13.5, 16.0), (21.85, 23.0)],  # the last overlap is VAD padding only
    )
    m = conversation_metrics(t, 25.0)
    assert m.party_source == "vad_channels" and m.timeline_source == "vad"
    assert m.overtalk_s == pytest.approx(1.5)
    assert m.operator_talk_s == pytest.approx(11.0)
    assert m.customer_talk_s == pytest.approx(6.65)
    assert m.talk_listen_ratio == pytest.approx(11.0 / 6.65)
    assert m.speech_s == pytest.approx(7.0 + 6.0 + 3.0)
    assert m.conversation_s == pytest.approx(23.0)
    assert m.silence_s == pytest.approx(23.0 - 16.0)
    assert m.longest_silence_s == pytest.approx(4.0)  # 16 -> 20
    assert m.handle_time_s == 25.0


def test_roles_follow_the_segments_not_the_channel_order():
    """Operator on the right channel (operator_channel = right): the regions swap roles too."""
    segments = [
        seg("operator", 0.2, 5.0, "Добрый день, компания Ромашка, чем могу помочь", channel=1),
        seg("customer", 6.0, 8.0, "Мой заказ не привезли", channel=0),
    ]
    m = conversation_metrics(stereo(segments, [(6.0, 8.0)], [(0.0, 5.2)]), 9.0)
    assert m.operator_talk_s == pytest.approx(5.2) and m.customer_talk_s == pytest.approx(2.0)


def test_customer_cutting_in_is_an_interruption_a_backchannel_is_not():
    operator_says = "Смотрите, по вашему договору подключён тариф Домашний, он включает сто мегабит и телевидение"
    segments = [
        seg("operator", 0.0, 10.0, operator_says),
        seg("customer", 3.0, 3.4, "Угу"),  # backchannel while the operator talks
        seg("customer", 6.0, 8.5, "Подождите, я не об этом спрашивал"),  # cuts in, operator goes on to 10 s
        seg("customer", 9.9, 12.0, "Так а скорость какая"),  # starts as the operator finishes: latching
    ]
    m = conversation_metrics(stereo(segments, [(0.0, 10.0)], [(3.0, 3.4), (6.0, 8.5), (9.9, 12.0)]), 12.0)
    assert m.interruptions_by_customer == 1
    assert m.interruptions_by_operator == 0
    assert m.overtalk_s == pytest.approx(0.4 + 2.5)  # the 0.1 s latch is below the overtalk minimum


def test_operator_cutting_in_and_simultaneous_starts():
    segments = [
        seg("customer", 0.0, 8.0, "Я уже третий раз звоню, и никто не может сказать, когда приедет мастер"),
        seg("operator", 4.0, 6.0, "Я понимаю, давайте я уточню"),  # cuts in mid-sentence
        seg("customer", 12.0, 15.0, "Хорошо, я подожду"),
        seg("operator", 12.2, 14.0, "Мастер приедет завтра"),  # both start at once: nobody interrupted
    ]
    m = conversation_metrics(stereo(segments, [(4.0, 6.0), (12.2, 14.0)], [(0.0, 8.0), (12.0, 15.0)]), 16.0)
    assert m.interruptions_by_operator == 1
    assert m.interruptions_by_customer == 0


def test_hold_after_odnu_minutu_is_not_dead_air():
    segments = [
        seg("operator", 0.5, 4.0, "Назовите, пожалуйста, номер договора"),
        seg("customer", 4.5, 6.5, "Четыре пять семь восемь один два"),
        seg("operator", 7.0, 9.5, "Одну минуту, я проверю ваш договор"),
        seg("customer", 10.0, 11.0, "Хорошо, жду"),  # the customer answers before the line goes quiet
        seg("operator", 41.0, 45.0, "Спасибо за ожидание, авария в вашем районе"),
    ]
    regions_op, regions_cu = [(0.4, 4.1), (6.9, 9.6), (40.9, 45.1)], [(4.4, 6.6), (9.9, 11.1)]
    m = conversation_metrics(stereo(segments, regions_op, regions_cu), 46.0)
    assert m.holds == ((11.1, 40.9),)
    assert m.hold_count == 1 and m.hold_s == pytest.approx(29.8)
    assert m.dead_air_s == 0.0
    assert m.long_silences == () and not has_long_silence(m)
    assert m.longest_silence_s == pytest.approx(29.8)


def test_same_silence_without_an_announcement_is_dead_air():
    segments = [
        seg("operator", 7.0, 9.5, "Я проверю ваш договор"),
        seg("customer", 10.0, 11.0, "Хорошо"),
        seg("operator", 41.0, 45.0, "Авария в вашем районе"),
    ]
    m = conversation_metrics(stereo(segments, [(6.9, 9.6), (40.9, 45.1)], [(9.9, 11.1)]), 46.0)
    assert m.holds == () and m.hold_s == 0.0
    assert m.dead_air_s == pytest.approx(29.8)
    assert m.long_silences == ((11.1, 40.9),) and has_long_silence(m)


def test_short_dead_air_counts_but_does_not_flag_and_long_holds_flag():
    segments = [
        seg("operator", 0.0, 3.0, "Сейчас посмотрю"),
        seg("operator", 10.0, 13.0, "Please hold while I check your order"),
        seg("operator", 90.0, 93.0, "Thank you for holding"),
    ]
    m = conversation_metrics(stereo(segments, [(0.0, 3.0), (10.0, 13.0), (90.0, 93.0)], []), 93.0)
    assert m.dead_air_s == pytest.approx(7.0)  # 3 -> 10: over dead_air_min_s, under long_silence_s
    assert m.holds == ((13.0, 90.0),)
    assert m.long_silences == ((13.0, 90.0),)  # a 77 s hold with no check-back is flagged
    assert conversation_metrics(stereo(segments, [(0.0, 3.0), (10.0, 13.0), (90.0, 93.0)], []), 93.0,
                                long_hold_s=120.0).long_silences == ()


def test_pause_announced_by_the_customer_is_neither_hold_nor_dead_air():
    segments = [
        seg("operator", 0.0, 3.0, "Назовите номер договора"),
        seg("customer", 3.5, 6.0, "Секунду, сейчас найду"),
        seg("customer", 26.0, 28.0, "Четыре пять семь"),
    ]
    m = conversation_metrics(stereo(segments, [(0.0, 3.0)], [(3.5, 6.0), (26.0, 28.0)]), 28.0)
    assert m.holds == () and m.dead_air_s == 0.0 and m.long_silences == ()
    assert m.silence_s == pytest.approx(20.5)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Одну минуту, я уточню информацию.", True),
        ("Минуточку.", True),
        ("Оставайтесь, пожалуйста, на линии", True),  # "пожалуйста" in between
        ("Оставайтесь в курсе новостей на линии", False),  # words apart: not the phrase
        ("Please, one moment.", True),
        ("Оставайтесь на линии, я переключу вас на специалиста", True),
        ("ПОДОЖДИТЕ, пожалуйста", True),
        ("Не кладите трубку, я проверю", True),
        ("Please hold while I transfer you.", True),
        ("Bear with me, I'm checking the order.", True),
        ("Hold on, let me look.", True),
        ("Я не могу ждать ни минуты", False),
        ("Секундомер не нужен", False),
        ("Keep hold onto your receipt", False),
        ("Thank you for holding", False),
    ],
)
def test_hold_phrases(text, expected):
    assert mentions_hold(text) is expected


def test_words_per_minute_per_party():
    segments = [
        seg(
            "operator",
            0.0,
            5.0,
            "Здравствуйте, служба поддержки компании Сеть Плюс, меня зовут Андрей, чем могу помочь?",
        ),
        seg("customer", 6.0, 8.0, "Не работает домашний интернет."),  # 4
        seg("operator", 9.0, 14.0, "Назовите, пожалуйста, номер договора, и я проверю, что случилось на вашей линии"),
        seg("customer", 15.0, 17.0, "Четыре пять семь, восемь"),  # 4 words; "—" below is no word
        seg("customer", 17.5, 18.0, "—"),
    ]
    m = conversation_metrics(stereo(segments, [(0, 5), (9, 14)], [(6, 8), (15, 18)]), 18.0)
    assert m.operator_wpm == pytest.approx(24 / (10 / 60))  # 12 + 12 words in 10 s: 144 words a minute
    assert m.customer_wpm == pytest.approx(8 / (4.5 / 60))


def test_speech_rate_needs_enough_speech():
    segments = [
        seg("operator", 0.0, 6.0, "Остались ли у вас ещё вопросы по договору?"),
        seg("customer", 7.0, 7.4, "Нет"),
    ]
    m = conversation_metrics(stereo(segments, [(0, 6)], [(7, 7.4)]), 8.0)
    assert m.customer_wpm is None and m.operator_wpm == pytest.approx(80.0)  # 8 words in 6 s


def test_one_sided_call_customer_never_speaks():
    segments = [seg("operator", 1.0, 4.0, "Алло, вас не слышно"), seg("operator", 9.0, 11.0, "Перезвоните, пожалуйста")]
    m = conversation_metrics(stereo(segments, [(1.0, 4.0), (9.0, 11.0)], []), 15.0)
    assert m.customer_talk_s == 0.0 and m.talk_listen_ratio is None and m.customer_wpm is None
    assert m.operator_talk_s == pytest.approx(5.0)
    assert m.overtalk_s == 0.0 and m.interruptions_by_customer == 0 and m.interruptions_by_operator == 0
    assert m.dead_air_s == pytest.approx(5.0)


@pytest.mark.parametrize(
    "transcript",
    [
        Transcript("ru", (), "test", "stereo_channels"),  # nothing at all
        Transcript("ru", (), "test", "stereo_channels", speech_regions=((), ())),  # silent channels
        Transcript("ru", (), "test", "mono_unassigned", speech_regions=((),)),
    ],
)
def test_no_speech_never_crashes(transcript):
    m = conversation_metrics(transcript, 30.0)
    assert (m.speech_s, m.silence_s, m.conversation_s, m.dead_air_s, m.longest_silence_s) == (0.0, 0.0, 0.0, 0.0, 0.0)
    assert m.handle_time_s == 30.0
    assert m.party_source == "none" and m.talk_listen_ratio is None and m.overtalk_s is None
    assert m.interruptions_by_customer is None and m.operator_wpm is None
    json.dumps(m.to_json())


def test_speech_without_words_still_gives_silence_metrics():
    """VAD heard speech, ASR kept nothing (all dropped by the guards): timing metrics only."""
    t = Transcript("ru", (), "test", "stereo_channels", speech_regions=(((0.0, 3.0), (20.0, 22.0)), ((4.0, 6.0),)))
    m = conversation_metrics(t, 22.0)
    assert m.speech_s == pytest.approx(7.0) and m.dead_air_s == pytest.approx(14.0)
    assert m.long_silences == ((6.0, 20.0),)
    assert m.party_source == "none" and m.operator_talk_s is None


def test_mono_unassigned_speakers_give_no_party_metrics_but_holds_still_count():
    segments = [
        seg("unknown", 0.0, 3.0, "Одну минуточку, проверяю заказ", channel=None),
        seg("unknown", 40.0, 43.0, "Ваш заказ доставят завтра", channel=None),
    ]
    t = Transcript("ru", tuple(segments), "test", "mono_unassigned", speech_regions=(((0.0, 3.0), (40.0, 43.0)),))
    m = conversation_metrics(t, 43.0)
    assert m.party_source == "none" and m.overtalk_s is None and m.talk_listen_ratio is None
    assert m.holds == ((3.0, 40.0),) and m.long_silences == ()


def test_mono_labelled_segments_give_parties():
    segments = [
        seg("operator", 0.0, 4.0, "Здравствуйте, чем могу помочь?", channel=None),
        seg("customer", 3.5, 7.0, "Я заказывал ноутбук, его не привезли", channel=None),
        seg("operator", 8.0, 10.0, "Назовите номер заказа", channel=None),
    ]
    t = Transcript("ru", tuple(segments), "test", "pyannote_diarization", speech_regions=(((0.0, 7.1), (7.9, 10.1)),))
    m = conversation_metrics(t, 11.0)
    assert m.party_source == "segments"
    assert m.speech_s == pytest.approx(9.3)  # the union still comes from the VAD
    assert m.overtalk_s == pytest.approx(0.5)
    assert m.operator_talk_s == pytest.approx(6.0) and m.customer_talk_s == pytest.approx(3.5)


def test_transcript_without_regions_falls_back_to_segments():
    segments = [
        seg("operator", 0.0, 4.0, "Здравствуйте, чем могу помочь?"),
        seg("customer", 16.0, 18.0, "Алло, вы тут?"),
    ]
    m = conversation_metrics(Transcript("ru", tuple(segments), "test", "stereo_channels"), 18.0)
    assert m.timeline_source == "segments" and m.party_source == "segments"
    assert m.long_silences == ((4.0, 16.0),)


def test_json_is_rounded_and_serialisable():
    segments = [seg("operator", 0.0, 4.0, "Одну минуту, пожалуйста"), seg("customer", 4.5, 6.0, "Хорошо, жду")]
    m = conversation_metrics(stereo(segments, [(0.0, 4.0), (30.123456, 33.0)], [(4.5, 6.0)]), 33.3333)
    out = m.to_json()
    assert json.loads(json.dumps(out)) == out
    assert out["handle_time_s"] == 33.33 and out["hold_count"] == 1 and out["holds"] == [[6.0, 30.12]]
    assert out["talk_listen_ratio"] == round((4.0 + 33.0 - 30.123456) / 1.5, 3)
    assert set(out) >= {"dead_air_s", "overtalk_s", "interruptions_by_operator", "interruptions_by_customer",
                        "operator_wpm", "customer_wpm", "long_silences", "silence_s", "speech_s"}


def typical_call(rng: np.random.Generator, minutes: float = 5.0, turns: int = 60) -> tuple[Transcript, float]:
    """A 5-minute stereo call: 60 alternating turns with VAD regions, a few overlaps and one hold."""
    duration = minutes * 60.0
    lengths = rng.uniform(1.0, 6.0, turns)
    pauses = rng.uniform(-0.8, 2.0, turns)
    pauses[turns // 2] = 30.0
    scale = (duration - 5.0) / (lengths.sum() + pauses.sum())
    t, segments, regions = 1.0, [], ([], [])
    for i, (length, pause) in enumerate(zip(lengths * scale, pauses * scale)):
        speaker = "operator" if i % 2 == 0 else "customer"
        text = "одну минуту я проверю ваш договор" if i == turns // 2 else "да я понимаю это же очень важно для нас"
        segments.append(seg(speaker, t, t + length, text))
        regions[i % 2].append((t - 0.1, t + length + 0.1))
        t += length + pause
    return stereo(segments, regions[0], regions[1]), duration


def test_speed_of_a_typical_call():
    transcript, duration = typical_call(np.random.default_rng(7))
    m = conversation_metrics(transcript, duration)
    assert m.hold_count == 1 and m.overtalk_s > 0 and m.operator_wpm is not None
    runs = 200
    start = time.perf_counter()
    for _ in range(runs):
        conversation_metrics(transcript, duration)
    per_call_ms = (time.perf_counter() - start) / runs * 1000
    print(f"conversation_metrics: {per_call_ms:.3f} ms per 5-minute call with 60 segments")
    assert per_call_ms < 5.0


# --- real audio: the VAD of a bundled stereo call ------------------------------------------------


@pytest.fixture(scope="module")
def ru_stereo_call(samples_dir):
    from models.vad import load_vad
    from pipeline.speech.audio import decode

    audio = decode(samples_dir / "ru_stereo_good.flac")
    truth = json.loads((samples_dir / "ru_stereo_good.truth.json").read_text())
    return audio, truth, load_vad()


def truth_segments(truth: dict, shift_after: float = float("inf"), shift_s: float = 0.0) -> list[Segment]:
    """The call's written turns as segments (operator on the left channel), shifted past an inserted pause."""
    out = []
    for turn in truth["turns"]:
        offset = shift_s if turn["start"] >= shift_after else 0.0
        out.append(seg(turn["speaker"], turn["start"] + offset, turn["end"] + offset, turn["text"]))
    return out


def vad_regions(vad, samples: np.ndarray) -> tuple[tuple[float, float], ...]:
    return tuple((r.start, r.end) for r in vad.speech_regions(samples))


def test_real_stereo_call_measured_on_its_vad(ru_stereo_call):
    audio, truth, vad = ru_stereo_call
    regions = (vad_regions(vad, audio.channel(0)), vad_regions(vad, audio.channel(1)))
    m = conversation_metrics(stereo(truth_segments(truth), *regions), audio.duration_s)
    assert 0.5 * audio.duration_s <= m.speech_s <= audio.duration_s
    # The parties take turns with 0.5-0.8 s pauses and never overlap.
    assert m.overtalk_s < 0.5
    assert m.interruptions_by_customer == 0 and m.interruptions_by_operator == 0
    assert m.dead_air_s == 0.0 and m.long_silences == () and m.longest_silence_s < 1.5
    for role in ("operator", "customer"):
        written = sum(t["end"] - t["start"] for t in truth["turns"] if t["speaker"] == role)
        measured = m.operator_talk_s if role == "operator" else m.customer_talk_s
        assert measured == pytest.approx(written, rel=0.15)
    assert 80 <= m.operator_wpm <= 200 and 80 <= m.customer_wpm <= 200


def test_real_stereo_call_with_dead_air_inserted(ru_stereo_call):
    """12 s of line silence put into the real recording after the customer gives the contract number."""
    audio, truth, vad = ru_stereo_call
    turns = truth["turns"]
    cut = (turns[3]["end"] + turns[4]["start"]) / 2  # after "Договор четыре пять семь, восемь один два."
    at, pause = int(cut * audio.sample_rate), 12.0
    silence = np.zeros(int(pause * audio.sample_rate), dtype=audio.samples.dtype)
    channels = [np.concatenate([audio.channel(i)[:at], silence, audio.channel(i)[at:]]) for i in range(2)]
    regions = (vad_regions(vad, channels[0]), vad_regions(vad, channels[1]))
    m = conversation_metrics(stereo(truth_segments(truth, cut, pause), *regions), len(channels[0]) / audio.sample_rate)
    assert len(m.long_silences) == 1 and has_long_silence(m)
    start, end = m.long_silences[0]
    assert start == pytest.approx(turns[3]["end"], abs=0.4)
    assert end == pytest.approx(turns[4]["start"] + pause, abs=0.4)
    assert m.dead_air_s == pytest.approx(end - start) and m.holds == ()


def test_metrics_type_is_frozen():
    m = conversation_metrics(Transcript("ru", (), "test", "stereo_channels"), 1.0)
    assert isinstance(m, ConversationMetrics)
    with pytest.raises(AttributeError):
        m.speech_s = 1.0
