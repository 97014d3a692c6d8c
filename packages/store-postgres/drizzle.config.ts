import { defineConfig } from 'drizzle-kit';

// `pnpm db:generate` regenerates migrations/ from src/schema.ts. The SQL is generated for the
// schema `es`; migrate() rewrites the schema name at apply time (see src/migrate.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: './migrations',
  schemaFilter: ['es'],
});
