-- 0008: the language a request was detected in and how sure the detection was.
-- `requests.language` stays the language we answer in (English when unsure).

ALTER TABLE requests ADD COLUMN language_detected TEXT;
ALTER TABLE requests ADD COLUMN language_confidence REAL;
