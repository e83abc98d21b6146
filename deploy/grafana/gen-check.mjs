// Writes .check/<name>.ts for every dashboards/<name>.json: the dashboard as an object
// literal typed as JsonOf<Dashboard>. A literal (unlike an `import` of the .json file,
// whose strings TypeScript widens to `string`) keeps its string values, so tsc checks
// them against the schema's unions and enums, and rejects unknown properties.
// With --canary it writes deliberately broken copies instead (canary-*.ts, one defect
// each), to prove the check fails when it should: tsc must report every one of them. Used by deploy/check; needs no packages.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '.check');
const canary = process.argv.includes('--canary');
rmSync(out, { recursive: true, force: true });
mkdirSync(out);

const header = "import type { Dashboard } from '@grafana/schema';\n" +
  "import type { JsonOf } from '../json-of';\n";
const write = (name, dashboard) =>
  writeFileSync(join(out, `${name}.ts`),
    `${header}\nexport const dashboard: JsonOf<Dashboard> = ${JSON.stringify(dashboard, null, 2)};\n`);

const files = readdirSync(join(here, 'dashboards')).filter((f) => f.endsWith('.json')).sort();
if (files.length === 0) throw new Error('no dashboards/*.json');
for (const file of files) {
  const text = readFileSync(join(here, 'dashboards', file), 'utf8');
  const name = file.replace(/\.json$/, '');
  if (!canary) {
    write(name, JSON.parse(text));
    continue;
  }
  const defects = {
    'unknown-key': (d) => { d.pannels = d.panels; },
    'bad-enum': (d) => { d.panels.find((p) => p.fieldConfig).fieldConfig.defaults.color.mode = 'rainbow'; },
    'bad-type': (d) => { d.graphTooltip = 'shared'; },
    'missing-required': (d) => { delete d.schemaVersion; },
  };
  for (const [defect, apply] of Object.entries(defects)) {
    const dashboard = JSON.parse(text);
    apply(dashboard);
    write(`canary-${defect}-${name}`, dashboard);
  }
}
console.log(`${canary ? 'canary for' : 'wrote'} ${files.length} dashboard(s): ${files.join(', ')}`);
