-- Agreement PDFs are rendered at the first download instead of in the issuing transaction, so
-- a version has no file until then. The verification link that the PDF prints is stored with
-- the version, so that a later render prints the link of the day the version was issued.
ALTER TABLE agreement_versions
  MODIFY COLUMN file_id CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD COLUMN verification_url VARCHAR(500) NOT NULL DEFAULT '' AFTER content_json;
