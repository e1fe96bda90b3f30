-- Reserved for another branch's migration (wave 3); this placeholder holds the number so
-- that the numbering has no gap on this branch. Drop it when the real 0014 file merges.
SELECT 1;
