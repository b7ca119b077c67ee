// Request bodies held whole in the pod's memory with no useful cap: multer's memory storage with
// no `limits.fileSize`, body parsers and Fastify allowed 50 MB or more. A few concurrent large
// requests exceed the container's memory limit and the kernel OOM-kills the pod, with every
// request it was serving.
import { defineSourceRule } from '../rule.js';
import { containersRunning } from '../link/describe.js';
import type { LinkModel } from '../link/link-model.js';
import type { LibraryCall, SourceFileFacts } from '../source/app-model.js';

/** From here on a body cap stops protecting the pod: a few such requests fill a typical 256–512 MiB limit. */
const LARGE = 50 * 1024 * 1024;
const PARSERS = new Set(['json', 'urlencoded', 'raw', 'text']);
const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4, pb: 1024 ** 5 };

export default defineSourceRule({
  id: 'unbounded-body',
  category: 'resources',
  severity: 'P1',
  effort: 'S',
  docs: {
    summary: 'Upload or request body buffered in memory without a size cap',
    why: "A body parser or multer's memory storage keeps each request body whole in the pod's memory: with no cap, or a cap of tens of megabytes or more, a few concurrent large requests exceed the container's memory limit, the kernel OOM-kills the pod, and every request it was serving fails with it.",
    fix: 'Stream large uploads to object storage (multer-s3, a presigned URL the client uploads to) or to disk, and set a cap that fits the memory limit: `limits: { fileSize }` for multer, `limit` for body parsers, `bodyLimit` for Fastify.',
  },
  check({ app, links, report }) {
    for (const file of app.files) {
      for (const call of file.libraryCalls) {
        const problem = unboundedBody(call, file);
        if (problem === undefined) continue;
        const memory = memoryLimits(file.path, links, problem.bytes);
        report({ location: call, message: `${problem.text}: a few concurrent large requests exceed the container's memory limit and the kernel OOM-kills the pod, failing every request in flight${memory}.` });
      }
    }
  },
});

interface Problem {
  text: string;
  /** The cap, when there is one. */
  bytes?: number;
}

function unboundedBody(call: LibraryCall, file: SourceFileFacts): Problem | undefined {
  if (call.optionsUnknown === true) return undefined;
  const name = call.member ?? call.imported;
  if (call.module === 'multer' && !call.isNew && call.member === undefined) return multerInMemory(call, file);
  if ((call.module === 'express' || call.module === 'body-parser') && PARSERS.has(name)) {
    const cap = largeCap(call.options?.limit);
    const parser = call.module === 'express' ? `express.${name}` : `bodyParser.${name}`;
    return cap === undefined ? undefined : { text: `\`${parser}()\` accepts bodies of ${cap.text} and buffers each one whole in memory`, bytes: cap.bytes };
  }
  if (call.module === 'fastify' && (call.imported === 'default' || call.imported === '*' || call.imported === 'fastify') && call.member === undefined) {
    const cap = largeCap(call.options?.bodyLimit);
    return cap === undefined ? undefined : { text: `Fastify's \`bodyLimit\` lets it buffer request bodies of ${cap.text} in memory`, bytes: cap.bytes };
  }
  return undefined;
}

/** `multer()`, `multer({ storage: multer.memoryStorage() })`: files kept as Buffers, unless `limits.fileSize` caps them. */
function multerInMemory(call: LibraryCall, file: SourceFileFacts): Problem | undefined {
  // `multer().none()`: a text-only form, no file is accepted.
  if (call.calledMember === 'none') return undefined;
  const options = call.options ?? {};
  if (options.dest !== undefined) return undefined;
  const storage = options.storage;
  if (storage !== undefined && !isMemoryStorage(storage, file)) return undefined;
  const how = storage === undefined ? 'its default memory storage' : '`memoryStorage()`';
  const subject = call.assignedTo === undefined ? 'multer' : `multer instance \`${call.assignedTo}\``;
  const limits = options.limits;
  if (limits === undefined) return { text: `${subject} keeps each uploaded file whole in memory (${how}) with no \`limits.fileSize\`` };
  // `limits: UPLOAD_LIMITS`: defined elsewhere, trusted.
  if (!limits.trimStart().startsWith('{')) return undefined;
  const fileSize = /\bfileSize\s*:\s*([^,}]+)/.exec(limits);
  if (fileSize === null) return { text: `${subject} keeps each uploaded file whole in memory (${how}) and its \`limits\` set no \`fileSize\`` };
  const cap = largeCap(fileSize[1]!.trim());
  return cap === undefined ? undefined : { text: `${subject} keeps each uploaded file whole in memory (${how}) with \`limits.fileSize\` allowing ${cap.text}`, bytes: cap.bytes };
}

/** `multer.memoryStorage()` written inline, or a binding of this file assigned one. */
function isMemoryStorage(storage: string, file: SourceFileFacts): boolean {
  if (/\bmemoryStorage\s*\(/.test(storage)) return true;
  return file.libraryCalls.some((call) => call.module === 'multer' && (call.member ?? call.imported) === 'memoryStorage' && call.assignedTo === storage.trim());
}

/** A cap of 50 MB or more, read from the option as written: `'500mb'`, `1024 * 1024 * 100`, `Infinity`, or a fallback `process.env.X || '1gb'`. */
function largeCap(text: string | undefined): { text: string; bytes: number } | undefined {
  if (text === undefined) return undefined;
  const fallback = /(?:\?\?|\|\|)\s*([^?|]+)$/.exec(text);
  const bytes = parseSize(text) ?? (fallback === null ? undefined : parseSize(fallback[1]!));
  if (bytes === undefined || bytes < LARGE) return undefined;
  const shown = bytes === Infinity ? 'any size (`Infinity`)' : `up to ${humanSize(bytes)}`;
  return { text: fallback !== null && parseSize(text) === undefined ? `${shown} (its fallback)` : shown, bytes };
}

/** The byte count of a literal size: `'500mb'` (the bytes package's units, 1024-based), `50 * 1024 * 1024`, `Infinity`. */
function parseSize(text: string): number | undefined {
  const bare = text.trim().replace(/^(['"`])(.*)\1$/, '$2').trim();
  if (bare === 'Infinity' || bare === 'Number.POSITIVE_INFINITY') return Infinity;
  const unit = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*([kmgtp]?b)?$/i.exec(bare);
  if (unit !== null) return Number(unit[1]) * UNITS[(unit[2] ?? 'b').toLowerCase()]!;
  if (!/^[\d_\s*+().e]+$/i.test(bare)) return undefined;
  let total = 0;
  for (const term of bare.replace(/[()]/g, '').split('+')) {
    let product = 1;
    // `1024 ** 3` is a power; `1e9` an exponent literal, which Number() reads.
    for (const factor of term.split(/(?<!\*)\*(?!\*)/)) {
      const [base, ...powers] = factor.split('**').map((part) => Number(part.trim().replace(/_/g, '')));
      if (factor.trim() === '' || base === undefined || !Number.isFinite(base) || powers.some((power) => !Number.isFinite(power))) return undefined;
      // `a ** b ** c` is `a ** (b ** c)`.
      product *= powers.length === 0 ? base : base ** powers.reduceRight((exponent, power) => power ** exponent);
    }
    total += product;
  }
  return total;
}

function humanSize(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${+(bytes / 1024 ** 3).toFixed(1)} GB`;
  return `${+(bytes / 1024 ** 2).toFixed(1)} MB`;
}

/** "; Deployment/api limits the container to `512Mi`", or that no limit is set, for each workload running the file. */
function memoryLimits(file: string, links: LinkModel, bytes: number | undefined): string {
  const texts: string[] = [];
  for (const container of containersRunning(file, links)) {
    const resources = container.ref.container.resources as { limits?: { memory?: unknown } } | undefined;
    const limit = resources?.limits?.memory;
    if (typeof limit !== 'string' && typeof limit !== 'number') {
      texts.push(`${container.workloadName} sets no memory limit, so the pod grows until the node runs short and evicts it`);
      continue;
    }
    const limitBytes = quantityBytes(String(limit));
    const single = bytes !== undefined && limitBytes !== undefined && bytes >= limitBytes ? ': one such request is already more than that' : '';
    texts.push(`${container.workloadName} limits the container to \`${limit}\`${single}`);
  }
  const unique = [...new Set(texts)];
  return unique.length === 0 ? '' : ` (${unique.join('; ')})`;
}

/** A Kubernetes memory quantity in bytes: `512Mi`, `1G`, `268435456`. */
function quantityBytes(quantity: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([KMGTE]i?|k)?$/.exec(quantity.trim());
  if (match === null) return undefined;
  const suffix = match[2] ?? '';
  const power = { '': 0, k: 1, K: 1, M: 2, G: 3, T: 4, E: 6 }[suffix.replace('i', '')] ?? 0;
  return Number(match[1]) * (suffix.endsWith('i') ? 1024 : 1000) ** power;
}
