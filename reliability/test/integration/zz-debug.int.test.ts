import { it, inject } from 'vitest';
import postgres from 'postgres';
import { FaultProxy } from '../../src/faults/fault-proxy.js';
import { sleep } from '../../src/support/workload.js';
it('dbg', async () => {
  const url = inject('relDatabaseUrl');
  const proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: 5432 });
  const client = postgres(proxy.rewrite(url), { max: 1, onclose: (id) => console.log('onclose', id), debug: (c, q) => console.log('debug', c, q.slice(0, 30)) });
  console.log(await client`select 1 as a`);
  const inflight = client`select pg_sleep(1) as s`.then((r) => console.log('1 resolved'), (e) => console.log('1 rejected', e.code, e.message));
  await sleep(200);
  console.log('reset', proxy.resetConnections());
  await inflight;
  await sleep(1000);
  const r2 = client`select 2 as b`.then((r) => console.log('2 resolved', r), (e) => console.log('2 rejected', e.code, e.message));
  await Promise.race([r2, sleep(3000).then(() => console.log('2 pending'))]);
  console.log(proxy.stats.accepted);
  await client.end({ timeout: 0 }); await proxy.close();
}, 30000);
