// Logs written to files inside the container: winston's File transport, daily-rotate files, pino
// file destinations, bunyan path streams, log4js file appenders, and plain writes to `*.log` or a
// `logs/` folder (morgan's `stream: fs.createWriteStream('access.log')` among them). P1 when the
// file is where the logs go; P2 when the same logger also writes to stdout. A sink switched by a
// condition on the environment names the variable and says whether the pods set it.
import { containersRunning, describeOrigin, originValue } from '../link/describe.js';
import type { LinkModel } from '../link/link-model.js';
import { defineSourceRule } from '../rule.js';
import type { FsCall, LibraryCall } from '../source/app-model.js';
import { joinWords } from '../prose.js';

/** Standard output and error as pino/sonic-boom destinations: `1`, `2`, `/dev/stdout`. */
const STANDARD_STREAMS = /^(?:1|2|\/dev\/std(?:out|err)|\/proc\/self\/fd\/[12])$/;
const LOG_PATH = /\.log\b|(^|\/)logs?(\/|$)/;
/** log4js appender types that write files, and those that write to the process's streams. */
const LOG4JS_FILE = /type\s*:\s*['"`](?:file|dateFile|fileSync|multiFile)['"`]/;
const LOG4JS_STDOUT = /type\s*:\s*['"`](?:console|stdout|stderr)['"`]/;

interface Sink {
  kind: 'file' | 'stdout';
  /** What a file sink writes to: the path expression as written (`'logs/app.log'`, `LOG_PATH`), or a description in words. */
  target?: { code: string } | { words: string };
  call: LibraryCall;
  /** bunyan and log4js sinks are declared in the call that makes the logger; winston and pino ones inside it. */
  declaresLogger?: boolean;
}

/** The sinks a logging library call sets up. */
function sinksOf(call: LibraryCall): Sink[] {
  const file = (code: string | undefined, words: string): Sink[] => [{ kind: 'file', target: code === undefined ? { words } : { code }, call }];
  const stdout: Sink[] = [{ kind: 'stdout', call }];
  switch (call.module) {
    case 'winston': {
      // `new winston.transports.File(…)`, or `new transports.File(…)` with `transports` imported by name.
      const transport = call.imported === 'transports' ? call.member : call.member?.replace(/^transports\./, '');
      if (!call.isNew || transport === undefined) return [];
      if (transport === 'File') return file(call.options?.filename, 'a file (winston `transports.File`)');
      return transport === 'Console' ? stdout : [];
    }
    case 'winston-daily-rotate-file':
      return call.isNew ? file(call.options?.filename, 'rotated files (winston-daily-rotate-file)') : [];
    case 'pino': {
      if (call.member === 'destination' || call.imported === 'destination') {
        const target = call.firstArgument === undefined ? call.options?.dest : `'${call.firstArgument}'`;
        return target === undefined || STANDARD_STREAMS.test(target.replace(/['"`]/g, '')) ? stdout : file(target, '');
      }
      return [];
    }
    case 'rotating-file-stream':
      return call.imported === 'createStream' || call.member === 'createStream' ? file(call.firstArgument === undefined ? undefined : `'${call.firstArgument}'`, 'rotated files (rotating-file-stream)') : [];
    case 'bunyan': {
      if (call.imported !== 'createLogger' && call.member !== 'createLogger') return [];
      // With no `streams` (and no `stream`), bunyan writes to stdout.
      const streams = call.options?.streams ?? call.options?.stream;
      if (streams === undefined) return call.optionsUnknown === true ? [] : stdout;
      const path = /\bpath\s*:\s*([^,}\n]+)/.exec(streams);
      const sinks = [...(path === null ? [] : file(path[1]!.trim(), '')), ...(/process\.std(?:out|err)/.test(streams) ? stdout : [])];
      return sinks.map((sink) => ({ ...sink, declaresLogger: true }));
    }
    case 'log4js': {
      const appenders = call.imported === 'configure' || call.member === 'configure' ? call.options?.appenders : undefined;
      if (appenders === undefined) return [];
      const sinks = [...(LOG4JS_FILE.test(appenders) ? file(undefined, 'a file (log4js file appender)') : []), ...(LOG4JS_STDOUT.test(appenders) ? stdout : [])];
      return sinks.map((sink) => ({ ...sink, declaresLogger: true }));
    }
    default:
      return [];
  }
}

function isLogWrite(call: FsCall): boolean {
  return call.access === 'write' && call.path !== undefined && call.path.root !== 'tmp' && LOG_PATH.test(call.path.text.replace(/['"`]/g, ''));
}

/**
 * The logger a sink belongs to: the innermost other library call around it (`createLogger({ transports: […] })`,
 * `pino(pino.destination(…))`); sinks added on their own (`logger.add(…)`) share the file's undefined one.
 */
function loggerOf(call: LibraryCall, calls: readonly LibraryCall[]): LibraryCall | undefined {
  const contains = (outer: LibraryCall): boolean =>
    outer !== call &&
    (outer.line < call.line || (outer.line === call.line && outer.column <= call.column)) &&
    (outer.endLine > call.endLine || (outer.endLine === call.endLine && outer.endColumn >= call.endColumn));
  let innermost: LibraryCall | undefined;
  for (const outer of calls) {
    if (contains(outer) && (innermost === undefined || outer.line > innermost.line || (outer.line === innermost.line && outer.column > innermost.column))) innermost = outer;
  }
  return innermost;
}

/** `LOG_TO_CONSOLE ? Console : File`: the two are alternatives, never both on. */
function alternatives(a: LibraryCall, b: LibraryCall): boolean {
  return a.branch !== undefined && b.branch !== undefined && a.branch.line === b.branch.line && a.branch.condition === b.branch.condition && a.branch.taken !== b.branch.taken;
}

/**
 * What the pods that run `file` give the variables a branch reads, so a reader can tell which way
 * it goes in the cluster: `Deployment/api does not set FORCE_LOGGER_CONSOLE`, `Deployment/worker
 * sets LOG_FILE=/var/log/w.log`. The condition itself is not evaluated.
 */
function podsOnSwitch(file: string, variables: readonly string[], links: LinkModel): string | undefined {
  const byWorkload = new Map<string, Set<string>>();
  for (const container of containersRunning(file, links)) {
    const given = byWorkload.get(container.workloadName) ?? new Set<string>();
    for (const name of variables) {
      const provided = container.env.get(name);
      const value = provided === undefined ? undefined : originValue(provided.origin);
      given.add(provided === undefined ? `does not set \`${name}\`` : value === undefined ? `sets \`${name}\` (${describeOrigin(provided.origin)})` : `sets \`${name}=${value}\``);
    }
    byWorkload.set(container.workloadName, given);
  }
  if (byWorkload.size === 0) return undefined;
  // Workloads that give the same answer are named together: `Deployment/api, Deployment/cron and 6 more do not set …`.
  const byVerdict = new Map<string, string[]>();
  for (const [workload, given] of byWorkload) {
    const verdict = [...given].sort().join(' and ');
    byVerdict.set(verdict, [...(byVerdict.get(verdict) ?? []), workload]);
  }
  return [...byVerdict].map(([verdict, workloads]) => {
    const named = workloads.length > 3 ? `${workloads.slice(0, 2).join(', ')} and ${workloads.length - 2} more` : workloads.length === 1 ? workloads[0]! : `${workloads.slice(0, -1).join(', ')} and ${workloads.at(-1)!}`;
    return `${named} ${workloads.length === 1 ? verdict : verdict.replaceAll('does not set', 'do not set').replaceAll('sets `', 'set `')}`;
  }).join('; ');
}

export default defineSourceRule({
  id: 'file-logging',
  category: 'file-logging',
  severity: 'P1',
  effort: 'XS',
  docs: {
    summary: 'Logs written to a file inside the container',
    why: 'Kubernetes collects what a container writes to stdout and stderr (`kubectl logs`, the node agent that ships logs): a log file stays in the pod, fills its ephemeral storage until the kubelet evicts it, and is gone with the pod.',
    fix: 'Log to stdout/stderr (a winston `Console` transport, pino to fd 1, bunyan and log4js console streams) and let the cluster collect the logs.',
  },
  check({ app, links, report }) {
    for (const file of app.files) {
      const sinks = file.libraryCalls.flatMap(sinksOf);
      for (const sink of sinks) {
        if (sink.kind !== 'file') continue;
        const { call } = sink;
        const logger = (of: Sink): LibraryCall | undefined => (of.declaresLogger === true ? of.call : loggerOf(of.call, file.libraryCalls));
        const consoleSink = sinks.find((other) => other.kind === 'stdout' && logger(other) === logger(sink) && !alternatives(other.call, call));
        let switched = '';
        if (call.branch !== undefined && call.branch.env.length > 0) {
          const { branch } = call;
          const names = branch.env.map((name) => `\`${name}\``);
          const variables = joinWords(names);
          const pods = podsOnSwitch(file.path, branch.env, links);
          switched = ` It is the branch taken when \`${branch.condition}\` (line ${branch.line}) is ${branch.taken}, which reads ${variables}${pods === undefined ? '' : `: ${pods}`}.`;
        }
        // A path as written is shown as code, without the quotes of a plain string literal; a description as it is.
        const target = sink.target!;
        const shown = 'words' in target ? target.words : `\`${/^(['"`])[^'"`]*\1$/.test(target.code) ? target.code.slice(1, -1) : target.code}\``;
        const also = consoleSink === undefined ? '' : ` (P2: line ${consoleSink.call.line} also logs to stdout, so the cluster still gets the logs; the file only grows)`;
        report({
          location: call,
          severity: consoleSink === undefined ? 'P1' : 'P2',
          message: `Logs go to ${shown} inside the container (${call.module}): \`kubectl logs\` and the cluster's log collector never see them, and the file grows in the pod until its ephemeral storage is full and the pod is evicted${also}.${switched}`,
        });
      }
      for (const call of file.fsCalls) {
        if (!isLogWrite(call)) continue;
        report({
          location: call,
          message: `\`${call.api}\` writes a log to \`${call.path!.text.replace(/^['"`]|['"`]$/g, '')}\` inside the container: \`kubectl logs\` and the cluster's log collector never see it, and it grows in the pod until its ephemeral storage is full and the pod is evicted.`,
        });
      }
    }
  },
});
