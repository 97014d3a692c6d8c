CREATE SCHEMA "es";
--> statement-breakpoint
CREATE TABLE "es"."checkpoints" (
	"subscription_id" text PRIMARY KEY NOT NULL,
	"position_kind" text NOT NULL,
	"position_number" double precision,
	"position_string" text,
	"last_event_id" text,
	"last_event_type" text,
	"last_processed_at" timestamp with time zone NOT NULL,
	"events_processed" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "checkpoints_position_check" CHECK (("es"."checkpoints"."position_kind" = 'number' AND "es"."checkpoints"."position_number" IS NOT NULL AND "es"."checkpoints"."position_string" IS NULL) OR ("es"."checkpoints"."position_kind" = 'string' AND "es"."checkpoints"."position_string" IS NOT NULL AND "es"."checkpoints"."position_number" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "es"."dead_letter_queue" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "es"."dead_letter_queue_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" text NOT NULL,
	"projection_name" text NOT NULL,
	"event_type" text NOT NULL,
	"event_data" jsonb NOT NULL,
	"error_message" text NOT NULL,
	"error_stacktrace" text,
	"retry_count" integer DEFAULT 0 NOT NULL,
	"first_failed_at" timestamp with time zone NOT NULL,
	"last_failed_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'failed' NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" text,
	"stream_id" text,
	"stream_position" integer,
	"position_kind" text,
	"position_number" double precision,
	"position_string" text,
	CONSTRAINT "dead_letter_queue_event_projection_key" UNIQUE("event_id","projection_name"),
	CONSTRAINT "dead_letter_queue_status_check" CHECK ("es"."dead_letter_queue"."status" IN ('failed', 'retrying', 'resolved', 'parked', 'discarded')),
	CONSTRAINT "dead_letter_queue_position_check" CHECK (("es"."dead_letter_queue"."position_kind" IS NULL AND "es"."dead_letter_queue"."position_number" IS NULL AND "es"."dead_letter_queue"."position_string" IS NULL) OR ("es"."dead_letter_queue"."position_kind" = 'number' AND "es"."dead_letter_queue"."position_number" IS NOT NULL) OR ("es"."dead_letter_queue"."position_kind" = 'string' AND "es"."dead_letter_queue"."position_string" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "es"."events" (
	"global_position" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "es"."events_global_position_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"transaction_id" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"event_id" text NOT NULL,
	"aggregate_id" text NOT NULL,
	"aggregate_type" text NOT NULL,
	"version" integer NOT NULL,
	"event_type" text NOT NULL,
	"event_version" integer DEFAULT 1 NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"tenant_id" text,
	"data" jsonb NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_event_id_key" UNIQUE("event_id"),
	CONSTRAINT "events_stream_version_key" UNIQUE("aggregate_id","aggregate_type","version")
);
--> statement-breakpoint
CREATE INDEX "dead_letter_queue_status_first_failed_idx" ON "es"."dead_letter_queue" USING btree ("status","first_failed_at");--> statement-breakpoint
CREATE INDEX "dead_letter_queue_projection_status_first_failed_idx" ON "es"."dead_letter_queue" USING btree ("projection_name","status","first_failed_at");--> statement-breakpoint
CREATE INDEX "dead_letter_queue_unresolved_stream_idx" ON "es"."dead_letter_queue" USING btree ("projection_name",("stream_id" COLLATE "C"),"stream_position","first_failed_at","id") WHERE "es"."dead_letter_queue"."status" IN ('failed', 'retrying', 'parked');--> statement-breakpoint
CREATE INDEX "dead_letter_queue_active_idx" ON "es"."dead_letter_queue" USING btree ("projection_name","first_failed_at") WHERE "es"."dead_letter_queue"."status" IN ('failed', 'retrying');--> statement-breakpoint
CREATE INDEX "dead_letter_queue_resolved_at_idx" ON "es"."dead_letter_queue" USING btree ("resolved_at") WHERE "es"."dead_letter_queue"."status" = 'resolved';--> statement-breakpoint
CREATE INDEX "events_transaction_id_global_position_idx" ON "es"."events" USING btree ("transaction_id","global_position");