// Regenerates docs/api/openapi.json from the route schemas, and docs/api/platform-openapi.json (the
// platform's registration API): `npm run openapi`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApp } from '../src/app/index.js';
import { resolveConfig } from '../src/kernel/config/index.js';
import { buildWebServer } from '../src/web/index.js';
import { platformOpenApi } from '../src/platform/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'mamori-openapi-'));
process.env['MAMORI_LOG_STDERR'] = 'off';
const app = await openApp(resolveConfig({ data: tmp }, {}));
try {
  const web = await buildWebServer(app);
  const spec = web.swagger();
  writeFileSync(join(import.meta.dirname, '..', 'docs', 'api', 'openapi.json'), JSON.stringify(spec, null, 2) + '\n');
  await web.close();
  console.log('docs/api/openapi.json を更新しました。');
  writeFileSync(join(import.meta.dirname, '..', 'docs', 'api', 'platform-openapi.json'), JSON.stringify(platformOpenApi(), null, 2) + '\n');
  console.log('docs/api/platform-openapi.json を更新しました。');
} finally {
  await app.close();
  rmSync(tmp, { recursive: true, force: true });
}
