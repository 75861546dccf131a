-- Issue #15: a download code is spent by the download it opens. The page sets this in the
-- same transaction that checked the code under the row's lock, so parallel downloads with
-- one code get one package; to download again the person asks for a new link and code.
ALTER TABLE download_links ADD COLUMN code_used_at timestamptz;
