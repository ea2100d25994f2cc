-- name: GetSetting :one
SELECT value FROM settings WHERE name = @name;

-- name: InsertSetting :exec
-- First writer wins: a concurrent start that lost re-reads the value.
INSERT INTO settings (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING;
