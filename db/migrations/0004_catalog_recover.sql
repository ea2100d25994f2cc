-- Wave 2: event-type schemas and examples, operational events, bulk recover.

ALTER TABLE event_types
    -- JSON Schema 2020-12 a payload of this type must satisfy; NULL: any object.
    ADD COLUMN schema jsonb,
    -- An example payload (it satisfies the schema); sent by typed test deliveries.
    ADD COLUMN example jsonb,
    -- Operational events are Hookline's own (endpoint.disabled, ...): an
    -- endpoint receives them only by subscribing by name ("*" does not
    -- match them), and producers cannot publish them.
    ADD COLUMN operational boolean NOT NULL DEFAULT false,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

INSERT INTO event_types (name, description, operational, schema, example) VALUES
    ('endpoint.disabled', 'Hookline disabled one of your endpoints after it failed without a success for too long.', true,
     '{"type":"object","required":["endpoint_id","reason","failing_since"],"properties":{"endpoint_id":{"type":"string","format":"uuid"},"reason":{"type":"string","enum":["failing"]},"failing_since":{"type":["string","null"],"format":"date-time"}}}',
     '{"endpoint_id":"0192f0c4-6a2b-7cde-8f01-23456789abcd","reason":"failing","failing_since":"2026-11-20T08:00:00Z"}'),
    ('delivery.dead_lettered', 'A delivery to one of your endpoints ran out of retries.', true,
     '{"type":"object","required":["delivery_id","endpoint_id","event_type","attempts","last_status_code"],"properties":{"delivery_id":{"type":"string","format":"uuid"},"endpoint_id":{"type":"string","format":"uuid"},"event_type":{"type":"string"},"attempts":{"type":"integer","minimum":1},"last_status_code":{"type":["integer","null"]}}}',
     '{"delivery_id":"0192f0c4-6a2b-7cde-8f01-23456789abce","endpoint_id":"0192f0c4-6a2b-7cde-8f01-23456789abcd","event_type":"comment.created","attempts":8,"last_status_code":503}');

-- The recover run that made a replay: a retried batch replays nothing twice.
ALTER TABLE deliveries ADD COLUMN recovery_id uuid;
CREATE INDEX deliveries_recovery ON deliveries (replay_of, recovery_id) WHERE recovery_id IS NOT NULL;
