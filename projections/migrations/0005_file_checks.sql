-- What the submission_processing worker found in a submission's file: PENDING until it is
-- checked, then VALID (with its page count) or INVALID (the submission is REJECTED, with
-- the reason in rejection_reason).
SET LOCAL search_path TO read;
-- tables --
ALTER TABLE submission ADD COLUMN IF NOT EXISTS file_check text NOT NULL DEFAULT 'PENDING'
    CHECK (file_check IN ('PENDING', 'VALID', 'INVALID'));
ALTER TABLE submission ADD COLUMN IF NOT EXISTS file_pages integer;
