// The condition a site depends on: `LOG_TO_CONSOLE ? new transports.Console() : new transports.File(…)`
// logs to a file only when the condition is false, and the condition reads FORCE_LOGGER_CONSOLE.
// Rules that weigh an optional sink (file logging) say which variable switches it, and whether the
// pods set it.
import { ts } from 'ts-morph';
import type { Branch } from './app-model.js';
import { nodeText } from './syntax.js';

const K = ts.SyntaxKind;
const ENV_NAME = /process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*['"`]([A-Za-z_][A-Za-z0-9_]*)['"`]\s*\])/g;
const IDENTIFIER = /\b[A-Za-z_$][A-Za-z0-9_$]*\b/g;

/**
 * The nearest conditional the node sits in a branch of, within its function: a ternary, an `if`, or
 * the right side of `&&`/`||`. `constText` gives the initializer text of a const the condition names,
 * so `LOG_TO_CONSOLE` counts with the variables its initializer reads.
 */
export function enclosingBranch(node: ts.Node, sourceFile: ts.SourceFile, constText: (name: string) => string | undefined): Branch | undefined {
  let child = node;
  for (let parent = node.parent; parent !== undefined && !ts.isFunctionLike(parent) && parent.kind !== K.SourceFile; child = parent, parent = parent.parent) {
    let condition: ts.Expression | undefined;
    let taken: Branch['taken'] | undefined;
    if (parent.kind === K.ConditionalExpression) {
      const conditional = parent as ts.ConditionalExpression;
      condition = conditional.condition;
      taken = child === conditional.whenTrue ? 'true' : child === conditional.whenFalse ? 'false' : undefined;
    } else if (parent.kind === K.IfStatement) {
      const statement = parent as ts.IfStatement;
      condition = statement.expression;
      taken = child === statement.thenStatement ? 'true' : child === statement.elseStatement ? 'false' : undefined;
    } else if (parent.kind === K.BinaryExpression && (parent as ts.BinaryExpression).right === child) {
      const binary = parent as ts.BinaryExpression;
      const operator = binary.operatorToken.kind;
      if (operator === K.AmpersandAmpersandToken || operator === K.BarBarToken) {
        condition = binary.left;
        taken = operator === K.AmpersandAmpersandToken ? 'true' : 'false';
      }
    }
    if (condition === undefined || taken === undefined) continue;
    const text = nodeText(condition, sourceFile);
    const sources = [text, ...[...new Set(text.match(IDENTIFIER) ?? [])].map(constText).filter((init): init is string => init !== undefined)];
    const env = [...new Set(sources.flatMap((source) => [...source.matchAll(ENV_NAME)].map((match) => (match[1] ?? match[2])!)))].sort();
    const { line } = sourceFile.getLineAndCharacterOfPosition(condition.getStart(sourceFile));
    return { condition: text.length > 80 ? `${text.slice(0, 77)}...` : text, line: line + 1, taken, env };
  }
  return undefined;
}
