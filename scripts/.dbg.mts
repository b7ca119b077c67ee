import { audit, allRules } from '/work/wt-files-family/src/audit.ts';
const id = process.argv[2]; const folder = process.argv[3];
const result = await audit({ cwd: '/work/wt-files-family', paths: [folder], rules: allRules.filter(r => r.id === id) });
for (const f of result.findings) console.log(`${f.file}:${f.line} ${f.severity} ${f.message}\n   related: ${JSON.stringify(f.related)}`);
console.log(result.errors);
