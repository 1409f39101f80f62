-- 0013: the online form can be embedded in another site's iframe (issue 22), where no
-- session cookie is sent: its CSRF token is a signed hidden field (intake/form_token.py).
-- A submission records its token's random nonce, so one token makes at most one
-- submission (a replay changes nothing). Removed with the row after [form] expire_days.
ALTER TABLE form_submissions ADD COLUMN nonce TEXT;
CREATE UNIQUE INDEX form_submissions_nonce ON form_submissions(nonce);
