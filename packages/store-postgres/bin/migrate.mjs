#!/usr/bin/env node
// Applies the shipped migrations of @es/store-postgres (needs the package built: dist/).
//
//   es-store-postgres-migrate [--schema <name>] [--url <postgres://…>]
//
// The URL defaults to $DATABASE_URL, the schema to "es". Safe to run from several processes at
// once; a second run applies nothing.
import { parseArgs } from 'node:util';
import { migrate } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    schema: { type: 'string', default: 'es' },
    url: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(
    'usage: es-store-postgres-migrate [--schema <name>] [--url <postgres://…>] (default $DATABASE_URL)',
  );
  process.exit(0);
}

const url = values.url ?? process.env.DATABASE_URL;
if (url === undefined || url === '') {
  console.error('es-store-postgres-migrate: set DATABASE_URL or pass --url postgres://…');
  process.exit(2);
}

try {
  const result = await migrate(url, { schema: values.schema });
  console.log(
    result.applied.length === 0
      ? `schema "${result.schema}" is up to date`
      : `schema "${result.schema}": applied ${result.applied.join(', ')}`,
  );
} catch (error) {
  console.error(`es-store-postgres-migrate: ${error.code ?? error.name}: ${error.message}`);
  process.exit(1);
}
