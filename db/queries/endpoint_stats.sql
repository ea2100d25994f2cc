-- name: CountFinalWithoutAttempt :exec
-- A delivery that ended without an attempt (endpoint deleted, disabled,
-- undecryptable) still counts in its endpoint's stats.
WITH m AS (
    INSERT INTO endpoint_stats AS s (tenant_id, endpoint_id, minute, failed)
    SELECT d.tenant_id, d.endpoint_id, date_trunc('minute', now()), 1
    FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
    WHERE d.id = @id
    ON CONFLICT (endpoint_id, minute) DO UPDATE SET failed = s.failed + 1
)
INSERT INTO endpoint_stats_hourly AS s (tenant_id, endpoint_id, hour, failed)
SELECT d.tenant_id, d.endpoint_id, date_trunc('hour', now()), 1
FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
WHERE d.id = @id
ON CONFLICT (endpoint_id, hour) DO UPDATE SET failed = s.failed + 1;

-- name: EndpointStats :many
-- An endpoint's stats in [since, until), summed per bucket (date_bin from
-- since). Reads one row per minute that had attempts.
SELECT date_bin(@bucket::interval, minute, @since::timestamptz)::timestamptz AS bucket_start,
       sum(attempts)::bigint AS attempts, sum(succeeded)::bigint AS succeeded, sum(failed)::bigint AS failed,
       sum(dead_letter)::bigint AS dead_letter,
       sum(l1)::bigint AS l1, sum(l2)::bigint AS l2, sum(l3)::bigint AS l3, sum(l4)::bigint AS l4,
       sum(l5)::bigint AS l5, sum(l6)::bigint AS l6, sum(l7)::bigint AS l7, sum(l8)::bigint AS l8,
       sum(l9)::bigint AS l9, sum(l10)::bigint AS l10, sum(l11)::bigint AS l11, sum(l12)::bigint AS l12
FROM endpoint_stats
WHERE tenant_id = @tenant_id AND endpoint_id = @endpoint_id AND minute >= @since AND minute < @until::timestamptz
GROUP BY 1
ORDER BY 1;

-- name: EndpointStatsHourly :many
-- EndpointStats from the hourly rollup (1h and 1d buckets).
SELECT date_bin(@bucket::interval, hour, @since::timestamptz)::timestamptz AS bucket_start,
       sum(attempts)::bigint AS attempts, sum(succeeded)::bigint AS succeeded, sum(failed)::bigint AS failed,
       sum(dead_letter)::bigint AS dead_letter,
       sum(l1)::bigint AS l1, sum(l2)::bigint AS l2, sum(l3)::bigint AS l3, sum(l4)::bigint AS l4,
       sum(l5)::bigint AS l5, sum(l6)::bigint AS l6, sum(l7)::bigint AS l7, sum(l8)::bigint AS l8,
       sum(l9)::bigint AS l9, sum(l10)::bigint AS l10, sum(l11)::bigint AS l11, sum(l12)::bigint AS l12
FROM endpoint_stats_hourly
WHERE tenant_id = @tenant_id AND endpoint_id = @endpoint_id AND hour >= @since AND hour < @until::timestamptz
GROUP BY 1
ORDER BY 1;

-- name: DeleteOldMinuteStats :execrows
-- Minute rows past retention (1m buckets reach back at most 1,000 minutes
-- anyway); the hourly rollup keeps the long history.
DELETE FROM endpoint_stats WHERE (endpoint_id, minute) IN (
    SELECT s.endpoint_id, s.minute FROM endpoint_stats s WHERE s.minute < @cutoff LIMIT @batch_size
);
