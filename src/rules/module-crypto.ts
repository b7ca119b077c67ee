// Keys, secrets and IVs made of random bytes when the module loads. Every pod makes its own and
// makes a new one at each restart: tokens and cookies signed by one replica fail on another, and
// data encrypted before a restart cannot be decrypted after it.
import type { Level, RelatedLocation, Span } from '../findings.js';
import { defineSourceRule, type Report } from '../rule.js';
import type { GeneratedKey, KeyPurpose, KeySink, ModuleBinding } from '../source/app-model.js';
import { joinWords } from '../prose.js';

const CONSEQUENCE: Readonly<Record<KeyPurpose, string>> = {
  token: 'a token signed by one pod fails verification on another, and every restart invalidates all tokens issued',
  cookie: 'a cookie signed by one pod is rejected by another, and every restart logs everyone out',
  cipher: 'data encrypted by one pod cannot be decrypted by another, nor by any pod after a restart',
  hmac: 'a MAC computed by one pod does not verify on another, nor after a restart',
};

function within(inner: Span, outer: Span): boolean {
  if (inner.file !== outer.file) return false;
  const after = inner.line > outer.line || (inner.line === outer.line && inner.column >= outer.column);
  const before = inner.endLine < outer.endLine || (inner.endLine === outer.endLine && inner.endColumn <= outer.endColumn);
  return after && before;
}

/**
 * `config.jwt.secret` for a key at path `jwt.secret` of `config`; any use for a key bound whole.
 * The whole access must match: `config.jwt.secret` does not pass `config.secret`.
 */
function pathMatches(sink: KeySink, key: GeneratedKey): boolean {
  if (key.path === undefined) return true;
  const access = sink.text.replace(/[?!\s]/g, '');
  return access === `${key.binding}.${key.path}` || access.endsWith(`.${key.binding}.${key.path}`);
}

/** "`jwt.sign` (src/auth.ts:12) and `jwt.verify` (src/auth.ts:20)". */
function describeUses(uses: readonly KeySink[]): string {
  const names = [...new Set(uses.map((use) => `\`${use.api.replace(/`/g, '')}\``))];
  return joinWords(names);
}

function consequences(uses: readonly KeySink[]): string {
  return [...new Set(uses.map((use) => CONSEQUENCE[use.purpose]))].join('; ');
}

function related(uses: readonly KeySink[], what: string): RelatedLocation[] {
  return uses.map((use) => ({ file: use.file, line: use.line, message: `${what} ${use.api.replace(/`/g, '')}` }));
}

export default defineSourceRule({
  id: 'module-crypto',
  category: 'module-crypto',
  severity: 'P0',
  effort: 'S',
  docs: {
    summary: 'Key, secret or IV generated when the module loads',
    why:
      'A key made of random bytes at start-up is different in every pod and changes on every restart: JWTs and signed cookies issued by one replica fail on the others and all of them die at the next rollout, and data encrypted with such a key (or with an IV that is not stored) cannot be decrypted after a restart. An IV generated once and reused for every message also weakens the cipher.',
    fix: 'Read keys and secrets from a Kubernetes Secret (env var or mounted file) shared by every replica, and fail at start-up when it is missing instead of generating one; generate a fresh IV per encryption and store it with the ciphertext.',
  },
  check({ app, report }) {
    const sinks = app.files.flatMap((file) => file.keySinks);
    for (const file of app.files) {
      // `const { privateKey, publicKey } = generateKeyPairSync(…)`: one finding for the call, naming both.
      const byCall = new Map<string, { key: GeneratedKey; names: string[]; uses: KeySink[] }>();
      for (const key of file.generatedKeys) {
        const binding = file.bindings.find((candidate) => candidate.name === key.binding);
        // `let key = randomBytes(32)` later replaced by a loaded key: the random value is a placeholder.
        if (binding === undefined || binding.mutations.some((mutation) => mutation.kind === 'reassign')) continue;
        const inSink = (read: Span): KeySink | undefined => sinks.find((sink) => within(read, sink) && pathMatches(sink, key));
        const uses = [...new Set(binding.reads.map(inSink).filter((sink): sink is KeySink => sink !== undefined))];
        const keyUses = uses.filter((use) => use.role === 'key');
        const name = `\`${key.binding}${key.path === undefined ? '' : `.${key.path}`}\``;
        if (keyUses.length > 0) {
          const at = `${key.line}:${key.column}`;
          const entry = byCall.get(at) ?? { key, names: [], uses: [] };
          entry.names.push(name);
          entry.uses.push(...keyUses);
          byCall.set(at, entry);
          continue;
        }
        if (uses.length > 0) reportIv(report, key, name, uses, binding, inSink);
      }
      for (const { key, names, uses } of byCall.values()) reportKey(report, spanOf(key), key, names.join(' and '), uses);
      for (const sink of file.keySinks) {
        if (sink.generated === undefined || sink.time !== 'init') continue;
        const name = `The ${sink.role === 'key' ? 'key' : 'IV'} passed to \`${sink.api.replace(/`/g, '')}\``;
        if (sink.role === 'key') reportKey(report, spanOf(sink), sink.generated, name, [sink], true);
        else {
          report({
            location: spanOf(sink),
            severity: 'P2',
            message: `${name} is \`${sink.generated.source}\`, made once when the process starts and reused by every \`${sink.api}\` call: every message shares one IV (P2; whether the IV is stored with the ciphertext cannot be told from here).`,
          });
        }
      }
    }
  },
});

function spanOf(site: Span): Span {
  return { file: site.file, line: site.line, column: site.column, endLine: site.endLine, endColumn: site.endColumn };
}

function reportKey(report: Report, location: Span, key: { source: string; envFallback?: string }, name: string, uses: readonly KeySink[], inline = false): void {
  const where = inline ? '' : ` (passed to ${describeUses(uses)})`;
  const is = name.includes(' and ') ? 'are' : 'is';
  if (key.envFallback !== undefined) {
    report({
      location,
      severity: 'P1',
      message:
        `${name} falls back to \`${key.source}\` when \`$${key.envFallback}\` is unset${where}: then each pod silently makes its own key at start-up, so ${consequences(uses)} ` +
        `(P1: only when the variable is missing; make it required instead).`,
      related: related(uses, 'used by'),
    });
    return;
  }
  report({
    location,
    message: `${name} ${is} \`${key.source}\`, made when the module loads${where}: each pod makes its own and a restart makes a new one, so ${consequences(uses)}.`,
    related: related(uses, 'used by'),
  });
}

function reportIv(
  report: Report,
  key: GeneratedKey,
  name: string,
  uses: readonly KeySink[],
  binding: ModuleBinding,
  inSink: (read: Span) => KeySink | undefined,
): void {
  const calls = describeUses(uses);
  const elsewhere = binding.reads.find((read) => inSink(read) === undefined);
  const level: Level = elsewhere === undefined ? 'P1' : 'P2';
  const storage = elsewhere === undefined
    ? 'and it is read nowhere else, so it is never stored with the ciphertext: data encrypted before a restart, or by another replica, cannot be decrypted (P1)'
    : `and it is also read at ${elsewhere.file}:${elsewhere.line}: if that stores it with the ciphertext, other pods can still decrypt and the reuse weakens the cipher (P2); if not, data encrypted by another pod or before a restart cannot be decrypted`;
  report({
    location: spanOf(key),
    severity: level,
    message: `IV ${name} is \`${key.source}\`, made once when the module loads and reused by every ${calls} call: every message this process encrypts shares one IV, ${storage}.`,
    related: related(uses, 'used by'),
  });
}
