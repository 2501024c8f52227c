-- Dead letters can be replayed (POST /v1/admin/dead-letters/{id}/replay): when, and as which job.
alter table dead_letters add column replayed_at timestamptz;
alter table dead_letters add column replay_job_id text;
-- Names one failure of one job, so that recording it twice (its worker died between recording it and failing
-- the job in the queue, and the job ran once more) keeps one dead letter. Null for dead letters without one.
alter table dead_letters add column failure_key text;
create unique index dead_letters_failure_key on dead_letters (failure_key);
