import type { RelatedLocation } from '../findings.js';
import type { AppliedMergePatch, FieldPath } from '../manifests/cluster-model.js';
import { parseImageReference } from '../manifests/image-reference.js';
import { mergeKeyValue } from '../manifests/origin-map.js';
import { isRecord, valueAt } from '../manifests/plain-data.js';
import { podSpecs, workloadName } from '../manifests/pod-templates.js';
import { defineManifestRule } from '../rule.js';
import { joinWords } from '../prose.js';

type Entry = Record<string, unknown>;

/**
 * A list strategic merge merges by key. An entry the patch adds next to a base entry that
 * survived is only evidence of a mistake when it is plainly the same thing under a new key
 * (a sidecar added next to the app is a merge by design); `replaces` says why, or nothing.
 */
interface MergedList {
  /** The list's field; its merge key is kustomize's (`name`, `mountPath`, `containerPort`). */
  field: string;
  /** `container \`api\``, `env var \`DB_URL\` of container \`api\``. */
  label(key: string): string;
  replaces(survivor: Entry, added: Entry, pod: PodFacts): string | undefined;
}

interface PodFacts {
  /** Volume names some container or init container of the rendered pod mounts. */
  mounted: ReadonlySet<string>;
}

function sameImage(survivor: Entry, added: Entry): string | undefined {
  if (typeof survivor.image !== 'string' || typeof added.image !== 'string') return undefined;
  const name = parseImageReference(survivor.image).name;
  return name === parseImageReference(added.image).name ? `same image \`${name}\`` : undefined;
}

function samePort(survivor: Entry, added: Entry): string | undefined {
  const ports = (container: Entry) => (Array.isArray(container.ports) ? container.ports.filter(isRecord).map((port) => port.containerPort) : []);
  const shared = ports(survivor).find((port) => port !== undefined && ports(added).includes(port));
  return shared === undefined ? undefined : `same port ${String(shared)}`;
}

const VOLUME_SOURCES: readonly { path: FieldPath; noun: string }[] = [
  { path: ['configMap', 'name'], noun: 'ConfigMap' },
  { path: ['secret', 'secretName'], noun: 'Secret' },
  { path: ['persistentVolumeClaim', 'claimName'], noun: 'claim' },
];

const CONTAINER_LISTS: readonly MergedList[] = [
  { field: 'containers', label: (name) => `container \`${name}\``, replaces: (s, a) => sameImage(s, a) ?? samePort(s, a) },
  { field: 'initContainers', label: (name) => `init container \`${name}\``, replaces: (s, a) => sameImage(s, a) },
];

const POD_LISTS: readonly MergedList[] = [
  ...CONTAINER_LISTS,
  {
    field: 'volumes',
    label: (name) => `volume \`${name}\``,
    replaces(survivor, added, pod) {
      if (!pod.mounted.has(String(survivor.name))) return 'no container mounts the old one any more';
      const source = VOLUME_SOURCES.find(({ path }) => valueAt(survivor, path) !== undefined && valueAt(survivor, path) === valueAt(added, path));
      return source === undefined ? undefined : `same ${source.noun} \`${String(valueAt(survivor, source.path))}\``;
    },
  },
];

/** Lists inside a container, labelled with the container's name. */
function containerFieldLists(container: string): MergedList[] {
  return [
    {
      field: 'env',
      label: (key) => `env var \`${key}\` of container \`${container}\``,
      // A renamed variable keeps its source, or a value too long to be shared by chance (a URL, a host).
      replaces: (s, a) =>
        s.valueFrom !== undefined && JSON.stringify(s.valueFrom) === JSON.stringify(a.valueFrom)
          ? 'same `valueFrom`'
          : typeof s.value === 'string' && s.value.length > 8 && s.value === a.value
            ? 'same value'
            : undefined,
    },
    {
      field: 'volumeMounts',
      label: (key) => `mount \`${key}\` of container \`${container}\``,
      replaces: (s, a) => (s.name !== undefined && s.name === a.name ? `same volume \`${String(s.name)}\`` : undefined),
    },
    {
      field: 'ports',
      label: (key) => `port ${key} of container \`${container}\``,
      replaces: (s, a) => (s.name !== undefined && s.name === a.name ? `same name \`${String(s.name)}\`` : undefined),
    },
  ];
}

/** A list in the patch whose merge kept entries from before the patch. */
interface Leftover {
  /** Path of the list in the patch document. */
  patchPath: FieldPath;
  field: string;
  /** Labels of the surviving entries, each with what the patch added in its place when that is plain. */
  survivors: { label: string; replacedBy?: string }[];
}

/**
 * Entries of the rendered list that existed before the patch (in the origin file or an earlier
 * patch) and that the patch does not name, when the patch also adds entries of its own; nothing
 * when the patch spells out its intent with a `$patch` directive.
 */
function leftover(list: MergedList, patchPath: FieldPath, patchList: unknown, renderedList: unknown, before: readonly unknown[], pod: PodFacts): Leftover | undefined {
  if (!Array.isArray(patchList) || !Array.isArray(renderedList)) return undefined;
  if (patchList.some((item) => isRecord(item) && '$patch' in item)) return undefined;
  const keyOf = (item: unknown) => mergeKeyValue(list.field, item);
  const mentioned = new Set(patchList.map(keyOf));
  const known = new Set(before.flatMap((items) => (Array.isArray(items) ? items.map(keyOf) : [])));
  const keyed = renderedList.filter(isRecord).flatMap((item) => {
    const key = keyOf(item);
    return key === undefined ? [] : [{ key, item }];
  });
  const survivors = keyed.filter(({ key }) => known.has(key) && !mentioned.has(key));
  const added = keyed.filter(({ key }) => mentioned.has(key) && !known.has(key));
  if (survivors.length === 0 || added.length === 0) return undefined;
  return {
    patchPath,
    field: list.field,
    survivors: survivors.map(({ key, item }) => {
      for (const candidate of added) {
        const reason = list.replaces(item, candidate.item, pod);
        if (reason !== undefined) return { label: list.label(key), replacedBy: `the patch adds \`${candidate.key}\` in its place: ${reason}` };
      }
      return { label: list.label(key) };
    }),
  };
}

function byName(items: unknown, name: string): Entry | undefined {
  return Array.isArray(items) ? items.filter(isRecord).find((item) => item.name === name) : undefined;
}

/** The leftovers of one patch in one pod spec: the pod's lists, then the lists of each container the patch names. */
function leftoversOf(patch: AppliedMergePatch, before: readonly Entry[], podPath: FieldPath, pod: Entry): Leftover[] {
  const patchPod = valueAt(patch.data, podPath);
  if (!isRecord(patchPod)) return [];
  const mounted = new Set<string>();
  for (const field of ['containers', 'initContainers']) {
    for (const container of Array.isArray(pod[field]) ? pod[field].filter(isRecord) : []) {
      for (const mount of Array.isArray(container.volumeMounts) ? container.volumeMounts.filter(isRecord) : []) mounted.add(String(mount.name));
    }
  }
  const facts: PodFacts = { mounted };
  const beforePods = before.map((source) => valueAt(source, podPath)).filter(isRecord);
  const found: (Leftover | undefined)[] = POD_LISTS.map((list) =>
    leftover(list, [...podPath, list.field], patchPod[list.field], pod[list.field], beforePods.map((source) => source[list.field]), facts),
  );
  for (const { field } of CONTAINER_LISTS) {
    const patchContainers = patchPod[field];
    if (!Array.isArray(patchContainers)) continue;
    patchContainers.forEach((patchContainer, index) => {
      const name = mergeKeyValue(field, patchContainer);
      const rendered = name === undefined ? undefined : byName(pod[field], name);
      if (name === undefined || rendered === undefined || !isRecord(patchContainer)) return;
      const beforeContainers = beforePods.map((source) => byName(source[field], name));
      for (const list of containerFieldLists(name)) {
        const lists = beforeContainers.map((container) => container?.[list.field]);
        found.push(leftover(list, [...podPath, field, index, list.field], patchContainer[list.field], rendered[list.field], lists, facts));
      }
    });
  }
  return found.filter((item): item is Leftover => item !== undefined);
}

export default defineManifestRule({
  id: 'kustomize-merge',
  category: 'kustomize-merge',
  severity: 'P2',
  effort: 'XS',
  docs: {
    summary: 'Overlay patch whose list merged with the base instead of replacing it',
    why: 'A strategic-merge patch merges `containers`, `initContainers`, `volumes`, `env`, `volumeMounts` and `ports` entry by entry: what the patch does not name stays, so a renamed container runs next to the old one, a renamed variable keeps the old one, a moved mount keeps the old path and a swapped volume is still there.',
    fix: 'Add `- $patch: replace` to the patch list to replace the base list, or name every entry that should stay, or delete single entries with `$patch: delete`, or use a JSON6902 patch (`op: replace`).',
  },
  check({ cluster, report }) {
    for (const { resource, path, spec } of podSpecs(cluster.resources)) {
      const history = resource.mergeHistory?.();
      if (history === undefined) continue;
      history.patches.forEach((patch, index) => {
        const before = [...(history.base === undefined ? [] : [history.base]), ...history.patches.slice(0, index).map((earlier) => earlier.data)];
        const leftovers = leftoversOf(patch, before, path, spec);
        // Reported when the patch plainly put something in place of a base entry; then every list it left entries in is named.
        const proof = leftovers.find((item) => item.survivors.some((survivor) => survivor.replacedBy !== undefined));
        const location = proof === undefined ? undefined : patch.locate(proof.patchPath);
        if (location === undefined) return;
        const survivors = leftovers.flatMap((item) => item.survivors.map(({ label, replacedBy }) => (replacedBy === undefined ? label : `${label} (${replacedBy})`)));
        const related: RelatedLocation[] = leftovers.flatMap((item) => {
          const span = item === proof ? undefined : patch.locate(item.patchPath);
          return span === undefined ? [] : [{ file: span.file, line: span.line, message: `\`${item.field}\` kept base entries here too` }];
        });
        const lists = [...new Set(leftovers.map((item) => `\`${item.field}\``))];
        report({
          location,
          message: `${workloadName(resource)}: strategic merge kept ${joinWords(survivors)} from the base, because this patch lists ${joinWords(lists)} without \`$patch: replace\`; add \`- $patch: replace\` to ${lists.length === 1 ? 'the list' : 'each list'}, or name the entries to keep`,
          workload: workloadName(resource),
          related,
        });
      });
    }
  },
});
