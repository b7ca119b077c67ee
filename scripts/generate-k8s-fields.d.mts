// Types for test/k8s-fields.test.ts, which regenerates the map in memory.
export interface K8sFields {
  gvk: Record<string, string>;
  types: Record<string, Record<string, 0 | string>>;
}
export const OUTPUT: string;
export function generateK8sFields(root?: string): K8sFields;
export function serializeK8sFields(fields: K8sFields): string;
