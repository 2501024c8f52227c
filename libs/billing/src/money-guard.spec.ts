import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Fails the build if money is ever computed with JavaScript numbers in libs/billing/src: no
 * Decimal → number conversion, no float parsing, and no arithmetic operator applied to anything
 * named like money (amount, price, fee, total, cost, charge, subtotal, money, topUp). Money must go
 * through decimal.js methods (plus, times, …). Integer counters (bytes, seconds, units) are fine.
 */
const MONEY_NAME = /(amount|price|fee|total|cost|charge|money|topup)/i;
const ARITHMETIC = new Set([
  ts.SyntaxKind.PlusToken,
  ts.SyntaxKind.MinusToken,
  ts.SyntaxKind.AsteriskToken,
  ts.SyntaxKind.SlashToken,
  ts.SyntaxKind.PercentToken,
  ts.SyntaxKind.AsteriskAsteriskToken,
  ts.SyntaxKind.PlusEqualsToken,
  ts.SyntaxKind.MinusEqualsToken,
  ts.SyntaxKind.AsteriskEqualsToken,
  ts.SyntaxKind.SlashEqualsToken,
]);

function nameOf(node: ts.Node): string | undefined {
  if (ts.isIdentifier(node)) return node.text;
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  if (ts.isElementAccessExpression(node)) return nameOf(node.expression);
  if (ts.isCallExpression(node)) return nameOf(node.expression);
  if (ts.isParenthesizedExpression(node) || ts.isNonNullExpression(node) || ts.isAsExpression(node)) return nameOf(node.expression);
  return undefined;
}

function isStringy(node: ts.Node): boolean {
  return ts.isStringLiteral(node) || ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node);
}

export function moneyViolations(fileName: string, source: string): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const where = (n: ts.Node) => `${fileName}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = nameOf(node.expression);
      if (callee === 'toNumber' || callee === 'parseFloat') out.push(`${where(node)} ${callee}() turns a decimal into a float: ${node.getText(sf)}`);
    }
    if (ts.isBinaryExpression(node) && ARITHMETIC.has(node.operatorToken.kind)) {
      const concat = node.operatorToken.kind === ts.SyntaxKind.PlusToken && (isStringy(node.left) || isStringy(node.right));
      const names = [nameOf(node.left), nameOf(node.right)].filter((n): n is string => n !== undefined && MONEY_NAME.test(n));
      if (!concat && names.length) out.push(`${where(node)} arithmetic on money (${names.join(', ')}) with JS numbers: ${node.getText(sf)}`);
    }
    if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken) {
      const n = nameOf(node.operand);
      if (n && MONEY_NAME.test(n)) out.push(`${where(node)} unary minus on money (${n}): ${node.getText(sf)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'testing' ? [] : sources(p);
    return d.name.endsWith('.ts') && !d.name.endsWith('.spec.ts') ? [p] : [];
  });
}

describe('money is never computed with JavaScript numbers', () => {
  const root = fileURLToPath(new URL('.', import.meta.url));

  it('libs/billing/src has no float arithmetic on money', () => {
    const files = sources(root);
    expect(files.length).toBeGreaterThan(10);
    const violations = files.flatMap((f) => moneyViolations(relative(root, f), readFileSync(f, 'utf8')));
    expect(violations).toEqual([]);
  });

  it.each([
    ['const amount = quantity * unitPrice;'],
    ['total += line.amount;'],
    ['const x = fee.toNumber();'],
    ['const p = parseFloat(plan.price);'],
    ['const net = -topUp;'],
    ['const y = lines.reduce((a, l) => a + l.amount, 0);'],
  ])('the check catches %s', (snippet) => {
    expect(moneyViolations('snippet.ts', snippet)).toHaveLength(1);
  });

  it.each([['const amount = quantity.times(unitPrice);'], ['const label = `fee ${amount}` + suffix;'], ['const bytes = up + down;']])(
    'and lets %s pass',
    (snippet) => {
      expect(moneyViolations('snippet.ts', snippet)).toEqual([]);
    },
  );
});
