// `npm start` / `npm run x` as the container's main process. The kubelet's SIGTERM goes to PID 1:
// npm (and a `sh -c` in between) does not reliably pass it on to the node child, so the app's own
// drain never runs and the pod is SIGKILLed at the end of the grace period. docker-node's
// BestPractices ("CMD": run `node` directly so that "exit signals such as SIGTERM and SIGINT [are]
// received by the Node.js process instead of npm swallowing them") recommends `node` itself, or an
// init (`--init`, tini, dumb-init) as PID 1.
import type { Span } from '../findings.js';
import { perSite } from '../link/describe.js';
import type { LinkedContainer } from '../link/link-model.js';
import { defineSourceRule } from '../rule.js';

/** Inits that forward signals to their child and reap zombies. */
const INITS = new Set(['tini', 'tini-static', 'dumb-init', 'catatonit', 's6-svscan']);
const SHELLS = new Set(['sh', 'bash', 'ash', 'dash']);

interface Command {
  words: readonly string[];
  location: Span;
  /** Where the command is written, for the message. */
  where: string;
}

export default defineSourceRule({
  id: 'npm-pid1',
  category: 'no-graceful-shutdown',
  severity: 'P2',
  effort: 'XS',
  docs: {
    summary: '`npm start` / `npm run` as the container’s main process',
    why: "Kubernetes stops a pod by sending SIGTERM to the container's PID 1: when that is npm (often with a shell between it and node), the signal does not reliably reach the node process, so its graceful shutdown never runs and the kubelet SIGKILLs it at the end of the grace period, cutting requests and jobs in flight.",
    fix: 'Start node directly (`CMD ["node", "dist/server.js"]`, or that `command` in the manifest), or put an init in front: `ENTRYPOINT ["tini", "--"]` / `["dumb-init", "--"]`.',
  },
  check({ links, report }) {
    const { add, flush } = perSite(report);
    for (const { containers } of links.sets) {
      for (const container of containers) {
        if (container.init || container.package === undefined) continue;
        const command = effectiveCommand(container);
        if (command === undefined) continue;
        const script = npmScript(command.words);
        if (script === undefined) continue;
        add(`${command.location.file}:${command.location.line}`, {
          location: command.location,
          message:
            `${command.where} runs \`${script}\` as PID 1 of {workloads}: the kubelet's SIGTERM goes to npm, which does not reliably pass it on to node, ` +
            'so the app never drains and is SIGKILLed when the grace period ends; run `node` directly or put tini/dumb-init in front.',
        }, container.workloadName);
      }
    }
    flush();
  },
});

/** What the container runs as PID 1, and where that is written: the manifest's `command`/`args`, else the Dockerfile. */
function effectiveCommand(container: LinkedContainer): Command | undefined {
  const spec = container.ref.container;
  const words = (value: unknown): string[] | undefined => (Array.isArray(value) && value.every((word) => typeof word === 'string') ? (value as string[]) : undefined);
  const command = words(spec.command);
  const args = words(spec.args);
  const { resource, path } = container.ref;
  if (command !== undefined) {
    return { words: [...command, ...(args ?? [])], location: resource.locate([...path, 'command']), where: `The \`command\` of container \`${container.ref.name}\`` };
  }
  const image = container.dockerImage;
  if (args !== undefined) {
    // `args` replace the Dockerfile's CMD and run under its ENTRYPOINT.
    return { words: [...(image?.entrypoint ?? []), ...args], location: resource.locate([...path, 'args']), where: `The \`args\` of container \`${container.ref.name}\`` };
  }
  if (image === undefined || image.command.length === 0) return undefined;
  // Point at the instruction that names npm: the CMD under a plain ENTRYPOINT, else the ENTRYPOINT.
  const npmInEntrypoint = image.entrypoint.length > 0 && npmScript(image.entrypoint) !== undefined;
  const line = npmInEntrypoint ? image.entrypointLine : (image.cmdLine ?? image.entrypointLine);
  if (line === undefined) return undefined;
  const instruction = npmInEntrypoint || image.cmdLine === undefined ? 'ENTRYPOINT' : 'CMD';
  return {
    words: image.command,
    location: { file: image.file, line, column: 1, endLine: line, endColumn: 1 },
    where: `The Dockerfile's \`${instruction}\``,
  };
}

/** `npm start`, `npm run worker`, `sh -c "npm run migrate && npm start"` as PID 1 → the npm command; undefined under an init. */
function npmScript(words: readonly string[]): string | undefined {
  const first = words[0] === undefined ? undefined : basename(words[0]);
  if (first === undefined || INITS.has(first)) return undefined;
  if (SHELLS.has(first) && words[1] === '-c' && words[2] !== undefined) {
    // The last command of the line is the one that keeps running: `npm run migrate && npm start`.
    const matches = [...words[2].matchAll(/(?:^|[;&|]\s*|\bexec\s+)(npm\s+(?:start|restart|run(?:-script)?\s+[\w:.-]+))/g)];
    return matches.at(-1)?.[1]?.replace(/\s+/g, ' ');
  }
  // The node image's entrypoint script runs its arguments with `exec`.
  if (first === 'docker-entrypoint.sh') return npmScript(words.slice(1));
  if (first !== 'npm') return undefined;
  const verb = words[1];
  if (verb === 'start' || verb === 'restart') return `npm ${verb}`;
  if ((verb === 'run' || verb === 'run-script') && words[2] !== undefined) return `npm ${verb} ${words[2]}`;
  return undefined;
}

function basename(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}
