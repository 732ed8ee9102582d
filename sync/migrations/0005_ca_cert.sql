-- HTTPS with a private CA: the PEM certificates this enrolment trusts besides the public
-- roots (`enroll --ca-cert FILE`), so that every later sync verifies the server the same way.
-- NULL: the public roots only.
ALTER TABLE device ADD COLUMN ca_cert TEXT;
