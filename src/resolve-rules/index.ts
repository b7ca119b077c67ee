// The resolve rule registry: rules about the audit's own directives, run after the other rules.
import suppressionReason from './suppression-reason.js';

export const resolveRules = [suppressionReason] as const;
