-- The call's id in the systems around us (issue #19): the PBX's unique id (Asterisk's uniqueid, FreeSWITCH's
-- call UUID, 3CX's call id) read from the recording's name or metadata, or the CRM's own id given with a
-- recording submitted through the API. Call detail records and CRM requests find the call by it.

ALTER TABLE calls ADD COLUMN external_id VARCHAR;  -- NULL: the recorder gave none
CREATE INDEX calls_external_id ON calls (external_id);
