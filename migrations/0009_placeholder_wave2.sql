-- PLACEHOLDER for migration 0009, reserved for another branch of wave 2.
-- The integrator replaces this file with the real 0009 when merging wave2-fair.
SELECT 1;
