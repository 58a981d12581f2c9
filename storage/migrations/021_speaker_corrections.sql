-- A reviewer sets who said one utterance (issue #17): a 'set_speaker' review naming the utterance
-- (segments.idx) and its speaker. Reviews stay append-only: the latest word on an utterance wins,
-- and a later flip of the whole call swaps it too (storage.calls.speaker_roles). NULL for every
-- other action.

ALTER TABLE reviews ADD COLUMN segment_idx INTEGER;
ALTER TABLE reviews ADD COLUMN speaker VARCHAR;  -- operator | customer
