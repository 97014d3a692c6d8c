-- Claim leases of the DLQ (markRetrying(id, { leaseMs })): additive and idempotent.
ALTER TABLE "es"."dead_letter_queue" ADD COLUMN IF NOT EXISTS "claimed_until" timestamp with time zone;
