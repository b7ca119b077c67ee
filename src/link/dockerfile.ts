// What a package's Dockerfile puts into the image it runs as: the ENV defaults, the command, the
// base image and the files it copies — read from the stage that becomes the image. Parsing is
// dockerfile-ast's (line continuations, both ENV forms, JSON and shell CMD), not ours.
import { DockerfileParser, Env, JSONInstruction, type Instruction } from 'dockerfile-ast';
import type { AuditError } from '../findings.js';

export interface DockerfileEnv {
  value: string;
  line: number;
}

export interface DockerfileCopy {
  /** Sources as written (relative to the build context). */
  sources: string[];
  destination: string;
  line: number;
}

export interface DockerImage {
  /** POSIX path of the Dockerfile, relative to the working directory. */
  file: string;
  /** The final stage's base image: `nginx:1.27-alpine`. */
  baseImage?: string;
  /** ENV of the final stage and the stages it is built `FROM`, last one wins. */
  env: ReadonlyMap<string, DockerfileEnv>;
  /** `ENTRYPOINT` then `CMD` words, as Docker joins them in exec form. */
  command: readonly string[];
  /** `ENTRYPOINT` alone: what a container's `args` are appended to. */
  entrypoint: readonly string[];
  /** The lines of the `ENTRYPOINT` and `CMD` that apply (the last of each in the final stage's lineage). */
  entrypointLine?: number;
  cmdLine?: number;
  /** The last `WORKDIR` of the final stage. */
  workdir?: string;
  copies: readonly DockerfileCopy[];
}

interface Stage {
  name?: string;
  from: string;
  instructions: Instruction[];
}

export function readDockerfile(file: string, text: string): { image?: DockerImage; error?: AuditError } {
  let stages: Stage[];
  try {
    stages = splitStages(DockerfileParser.parse(text).getInstructions());
  } catch (error) {
    return { error: { file, message: `Dockerfile not parsed: ${error instanceof Error ? error.message : String(error)}` } };
  }
  const final = stages.at(-1);
  if (final === undefined) return { error: { file, message: 'Dockerfile has no FROM instruction: its ENV and CMD were not read' } };
  // `FROM build AS runtime` inherits the ENV, WORKDIR and CMD of stage `build`.
  const lineage: Stage[] = [];
  for (let stage: Stage | undefined = final; stage !== undefined && !lineage.includes(stage); ) {
    lineage.unshift(stage);
    const parent: string = stage.from;
    stage = stages.find((candidate) => candidate.name?.toLowerCase() === parent.toLowerCase() && candidate !== stage);
  }
  const env = new Map<string, DockerfileEnv>();
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  let entrypointLine: number | undefined;
  let cmdLine: number | undefined;
  let workdir: string | undefined;
  const copies: DockerfileCopy[] = [];
  for (const stage of lineage) {
    // ENTRYPOINT resets a CMD the stage inherited, not one the stage itself sets (BuildKit's rule).
    let cmdSetHere = false;
    for (const instruction of stage.instructions) {
      const line = instruction.getRange().start.line + 1;
      switch (instruction.getKeyword()) {
        case 'ENV':
          if (!(instruction instanceof Env)) break;
          for (const property of instruction.getProperties()) env.set(property.getName(), { value: property.getValue() ?? '', line });
          break;
        case 'ENTRYPOINT':
          entrypoint = commandWords(instruction);
          entrypointLine = line;
          if (!cmdSetHere) {
            cmd = [];
            cmdLine = undefined;
          }
          break;
        case 'CMD':
          cmd = commandWords(instruction);
          cmdLine = line;
          cmdSetHere = true;
          break;
        case 'WORKDIR': {
          const dir = instruction.getArgumentsContent()?.trim();
          if (dir !== undefined && dir !== '') workdir = dir.startsWith('/') || workdir === undefined ? dir : `${workdir.replace(/\/$/, '')}/${dir}`;
          break;
        }
        case 'COPY':
        case 'ADD': {
          const words = instruction.getArguments().map((argument) => argument.getValue()).filter((word) => !word.startsWith('--'));
          const destination = words.at(-1);
          // `COPY --from=build …` copies build output, not files of the repository.
          const fromStage = instruction.getArguments().some((argument) => argument.getValue().startsWith('--from'));
          if (destination !== undefined && words.length >= 2 && !fromStage) copies.push({ sources: words.slice(0, -1), destination, line });
          break;
        }
        default:
          break;
      }
    }
  }
  return {
    image: {
      file,
      baseImage: lineage[0]?.from,
      env,
      command: [...entrypoint, ...cmd],
      entrypoint,
      ...(entrypointLine === undefined ? {} : { entrypointLine }),
      ...(cmdLine === undefined ? {} : { cmdLine }),
      ...(workdir === undefined ? {} : { workdir }),
      copies,
    },
  };
}

function splitStages(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.getKeyword() === 'FROM') {
      const words = instruction.getArguments().map((argument) => argument.getValue()).filter((word) => !word.startsWith('--'));
      const asIndex = words.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({ from: words[0] ?? '', ...(asIndex > 0 && words[asIndex + 1] !== undefined ? { name: words[asIndex + 1] } : {}), instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

/** `CMD ["node", "dist/server.js"]` or `CMD node dist/server.js` → `['node', 'dist/server.js']`. */
function commandWords(instruction: Instruction): string[] {
  const json = instruction instanceof JSONInstruction ? instruction.getJSONStrings() : [];
  if (json.length > 0) return jsonWords(instruction) ?? json.map((word) => word.getJSONValue());
  return instruction.getArguments().map((argument) => argument.getValue());
}

/**
 * The exec form read as JSON: dockerfile-ast's `getJSONValue()` drops the spaces inside a string
 * (`"npm run migrate && npm start"` comes back as `npmrunmigrate&&npmstart`), which a `sh -c`
 * command needs. Undefined when the text is not plain JSON (a line continuation inside it).
 */
function jsonWords(instruction: Instruction): string[] | undefined {
  const raw = instruction.getRawArgumentsContent();
  if (raw === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw.slice(0, raw.lastIndexOf(']') + 1));
    return Array.isArray(parsed) && parsed.every((word) => typeof word === 'string') ? (parsed as string[]) : undefined;
  } catch {
    return undefined;
  }
}
