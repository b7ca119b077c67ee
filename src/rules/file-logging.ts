// Logs written to files inside the container: winston's File transport, daily-rotate files, pino
// destinations and bunyan file streams, and plain writes to `*.log` or a `logs/` folder.
import { defineSourceRule } from '../rule.js';
import type { FsCall, LibraryCall } from '../source/app-model.js';

/** Standard output and error as pino/sonic-boom destinations: `1`, `2`, `/dev/stdout`. */
const STANDARD_STREAMS = /^(?:1|2|\/dev\/std(?:out|err)|\/proc\/self\/fd\/[12])$/;
const LOG_PATH = /\.log\b|(^|\/)logs?(\/|$)/;

/** What the library call writes to, when it is a log file. */
function logFile(call: LibraryCall): string | undefined {
  // `new winston.transports.File(…)`, or `new transports.File(…)` with `transports` imported by name.
  if (call.module === 'winston' && call.isNew && (call.member === 'transports.File' || (call.imported === 'transports' && call.member === 'File'))) {
    return call.options?.filename ?? 'a file (winston `transports.File`)';
  }
  if (call.module === 'winston-daily-rotate-file' && call.isNew) return call.options?.filename ?? 'rotated files (winston-daily-rotate-file)';
  if (call.module === 'pino' && (call.member === 'destination' || call.imported === 'destination')) {
    const target = call.firstArgument ?? call.options?.dest;
    return target === undefined || STANDARD_STREAMS.test(target.replace(/['"`]/g, '')) ? undefined : target;
  }
  if (call.module === 'rotating-file-stream' && (call.imported === 'createStream' || call.member === 'createStream')) return call.firstArgument ?? 'rotated files (rotating-file-stream)';
  return undefined;
}

function isLogWrite(call: FsCall): boolean {
  return call.access === 'write' && call.path !== undefined && call.path.root !== 'tmp' && LOG_PATH.test(call.path.text.replace(/['"`]/g, ''));
}

export default defineSourceRule({
  id: 'file-logging',
  category: 'file-logging',
  severity: 'P2',
  effort: 'XS',
  docs: {
    summary: 'Logs written to a file inside the container',
    why: 'Kubernetes collects what a container writes to stdout and stderr (`kubectl logs`, the node agent that ships logs): a log file stays in the pod, fills its ephemeral storage until the kubelet evicts it, and is gone with the pod.',
    fix: 'Log to stdout/stderr (a winston `Console` transport, pino to fd 1) and let the cluster collect the logs.',
  },
  check({ app, report }) {
    for (const file of app.files) {
      for (const call of file.libraryCalls) {
        const target = logFile(call);
        if (target === undefined) continue;
        // A path as written (`'logs/error.log'` or a template) is shown as code; a description as it is.
        const bare = target.replace(/^['"`]|['"`]$/g, '');
        const shown = /\s/.test(bare) ? bare : `\`${bare}\``;
        report({
          location: call,
          message: `Logs go to ${shown} inside the container (${call.module}): \`kubectl logs\` and the cluster's log collector never see them, and the file grows in the pod until its ephemeral storage is full and the pod is evicted.`,
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
