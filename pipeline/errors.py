"""Errors that describe bad input, as opposed to bugs.

A ``BadRecording`` is deterministic: processing the same file again fails the
same way, so the nightly flow quarantines it at once instead of retrying.
"""


class BadRecording(ValueError):
    """The file is not usable audio; ``str(err)`` is a one-line reason."""


class NotAudio(BadRecording):
    """Empty, corrupt, or not an audio file at all."""


class UnusableAudio(BadRecording):
    """Decodable audio that cannot be analysed (silent, too long, ...)."""
