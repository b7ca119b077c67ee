// Lists in finding messages read as English: one function makes them, for every rule.

/** "a", "a and b", "a, b and c"; past `max` items, "a, b, c and 4 more". */
export function joinWords(items: readonly string[], max = Infinity): string {
  if (items.length > max) return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`;
}
