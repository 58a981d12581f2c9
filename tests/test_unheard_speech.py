"""Fair verdicts under missing speech: detected speech that produced no words never fails anyone.

Hand-built transcripts: the stereo regions say where each channel carries speech, the
segments what was recognised there (as when the operator's greeting was spoken but lost).
"""

from __future__ import annotations

import pytest

from models.nlp import load_lemmatizer
from pipeline.judging.assess import assess_transcript
from pipeline.judging.scorecard import load_scorecard
from pipeline.judging.scoring import UNTRANSCRIBED_FLAG, ScorecardJudge
from pipeline.records import Segment, Transcript
from pipeline.speech.heard_speech import heard_speech
from tests.test_scoring import seg as scoring_seg


def seg(speaker: str, channel: int | None, start: float, text: str, prob: float = 0.9) -> Segment:
    """tests.test_scoring's segment, on a given channel."""
    return scoring_seg(speaker, start, text, prob, channel=channel)


def span(s: Segment) -> tuple[float, float]:
    return (s.start - 0.1, s.end + 0.1)


@pytest.fixture(scope="module")
def judge():
    card = load_scorecard("inbound_support")
    return ScorecardJudge(card, {"en": load_lemmatizer("en")})


# An English call whose operator does every stage but the greeting, and says no "anything else?".
BODY = [
    seg("operator", 0, 5.0, "My name is Anna, Harbor Bank customer service."),
    seg("customer", 1, 9.0, "Hi, my card was blocked yesterday."),
    seg("operator", 0, 13.0, "Could I take your full name and account number?"),
    seg("customer", 1, 17.0, "John Smith, account one two three."),
    seg("operator", 0, 21.0, "What happened exactly with the card?"),
    seg("customer", 1, 25.0, "It stopped working at the shop."),
    seg("operator", 0, 29.0, "I've unblocked your card, you can use it again."),
    seg("customer", 1, 33.0, "Great, thank you."),
    seg("operator", 0, 36.0, "Thank you for calling, goodbye."),
]


def stereo(segments: list[Segment], extra_regions: dict[int, list[tuple[float, float]]] | None = None) -> Transcript:
    regions: dict[int, list[tuple[float, float]]] = {0: [], 1: []}
    for s in segments:
        regions[s.channel or 0].append(span(s))
    for channel, more in (extra_regions or {}).items():
        regions[channel] += more
    return Transcript("en", tuple(segments), "test", "stereo_channels",
                      speech_regions=tuple(tuple(sorted(regions[c])) for c in (0, 1)))


def results(judge, transcript: Transcript) -> dict:
    return {r.id: r for r in judge.judge(transcript).criteria}


def test_a_missing_greeting_that_was_heard_fails(judge):
    got = results(judge, stereo(BODY))
    assert got["greeting"].result == "fail"
    assert got["extra_help"].result == "fail"


def test_operator_speech_that_gave_no_words_makes_the_verdict_unknown_with_a_reason(judge):
    # The operator spoke at 1.0-3.5 s (the greeting), but recognition returned nothing there.
    got = results(judge, stereo(BODY, {0: [(1.0, 3.5)]}))
    assert got["greeting"].result == "unknown"
    assert "operator speech at 00:01-00:04 not transcribed" in got["greeting"].reason
    assert got["greeting"].evidence is None
    # Other criteria whose window does not reach that speech are judged as before.
    assert got["extra_help"].result == "fail"
    assert got["resolution"].result == "pass"


def test_untranscribed_speech_of_the_other_party_changes_nothing(judge):
    got = results(judge, stereo(BODY, {1: [(1.0, 3.5)]}))  # the customer's channel
    assert got["greeting"].result == "fail"


def test_lost_closing_turns_make_the_last_turn_criteria_unknown(judge):
    # The operator said something after the last recognised turn, and it was lost.
    got = results(judge, stereo(BODY, {0: [(40.0, 43.0)]}))
    assert got["extra_help"].result == "unknown"
    assert got["farewell"].result == "pass"  # a pass stands: it rests on words that were heard
    assert "00:40-00:43" in got["extra_help"].reason


def test_speech_with_only_doubtful_words_counts_as_unheard(judge):
    doubtful = seg("operator", 0, 1.0, "Hello mr harper", prob=0.2)
    got = results(judge, stereo([doubtful, *BODY]))
    assert got["greeting"].result == "unknown"  # "hello" at p=0.2 is neither a pass nor proof of a fail


def test_mono_unheard_speech_could_be_anybodys(judge):
    segments = [Segment(s.speaker, s.start, s.end, s.text, s.words, None, s.asr_confidence, 0.9) for s in BODY]
    regions = tuple(sorted([span(s) for s in segments] + [(1.0, 3.5)]))
    transcript = Transcript("en", tuple(segments), "test", "pyannote_diarization", speech_regions=(regions,))
    got = results(judge, transcript)
    assert got["greeting"].result == "unknown"
    assert "speech of an unknown speaker at 00:01-00:04" in got["greeting"].reason


def test_whose_channel_is_read_off_the_labelled_segments(judge):
    # The operator on the right channel (as after a reviewer flipped the roles of a call recorded
    # the other way round): lost speech on the right channel is the operator's, on the left is not.
    swapped = [Segment(s.speaker, s.start, s.end, s.text, s.words, 1 - (s.channel or 0), s.asr_confidence, 1.0)
               for s in BODY]
    assert results(judge, stereo(swapped, {1: [(1.0, 3.5)]}))["greeting"].result == "unknown"
    assert results(judge, stereo(swapped, {0: [(1.0, 3.5)]}))["greeting"].result == "fail"


def test_the_share_of_speech_heard_is_reported_and_low_shares_are_flagged(judge):
    clean = assess_transcript(stereo(BODY), 40.0, judge)
    assert clean.metrics.speech_heard_share == pytest.approx(1.0, abs=0.05)
    assert UNTRANSCRIBED_FLAG not in clean.score.flags
    lost = {0: [(40.0, 48.0)], 1: [(44.0, 56.0)]}  # 20 s of speech, nothing recognised
    poor = assess_transcript(stereo(BODY, lost), 60.0, judge)
    assert poor.metrics.speech_heard_share < 0.75
    assert poor.metrics.to_json()["speech_heard_share"] == round(poor.metrics.speech_heard_share, 3)
    assert UNTRANSCRIBED_FLAG in poor.score.flags


def test_a_transcript_without_regions_has_nothing_unheard():
    heard = heard_speech(Transcript("en", tuple(BODY), "test", "stereo_channels"))
    assert heard.share is None and heard.unheard == ()
