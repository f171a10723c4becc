/**
 * `npm run lint`: fails when the folders of `src/` import each other in a circle (`image` imports
 * `events`, which imports `image`). Reads the value imports and re-exports of every non-test file with
 * the TypeScript parser; `import type` is left out (it leaves no trace at run time). Prints each
 * circle with one file-to-file import per step.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

const ROOT = resolve(__dirname, '..');
const SRC = join(ROOT, 'src');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The folder a file belongs to: `src/<first folder>`, or the file itself at the top of `src`. */
function folderOf(file: string): string {
  return `src/${relative(SRC, file).split(sep)[0]}`;
}

function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  return [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
}

/** Whether a declaration only moves types (`import type`, or every named binding marked `type`). */
function typeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isImportDeclaration(node)) {
    const clause = node.importClause;
    if (clause === undefined) return false;
    if (clause.isTypeOnly) return true;
    const bindings = clause.namedBindings;
    return (
      clause.name === undefined &&
      bindings !== undefined &&
      ts.isNamedImports(bindings) &&
      bindings.elements.length > 0 &&
      bindings.elements.every((element) => element.isTypeOnly)
    );
  }
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return (
    clause !== undefined &&
    ts.isNamedExports(clause) &&
    clause.elements.length > 0 &&
    clause.elements.every((element) => element.isTypeOnly)
  );
}

/** folder → folder → one file import that ties them (`from → to`). */
const edges = new Map<string, Map<string, string>>();
for (const file of sourceFiles(SRC)) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (specifier === undefined || !ts.isStringLiteral(specifier) || typeOnly(statement)) continue;
    const target = resolveImport(file, specifier.text);
    if (target === undefined || !target.startsWith(SRC)) continue;
    const [from, to] = [folderOf(file), folderOf(target)];
    if (from === to) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    const example = `${relative(ROOT, file)} -> ${relative(ROOT, target)}`;
    if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, example);
  }
}

// Tarjan's strongly connected components: every component of more than one folder is a circle.
let counter = 0;
const index = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const circles: string[][] = [];
function connect(folder: string): void {
  index.set(folder, counter);
  low.set(folder, counter);
  counter += 1;
  stack.push(folder);
  for (const next of edges.get(folder)?.keys() ?? []) {
    if (!index.has(next)) {
      connect(next);
      low.set(folder, Math.min(low.get(folder)!, low.get(next)!));
    } else if (stack.includes(next)) {
      low.set(folder, Math.min(low.get(folder)!, index.get(next)!));
    }
  }
  if (low.get(folder) === index.get(folder)) {
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      component.push(member);
    } while (member !== folder);
    if (component.length > 1) circles.push(component.sort());
  }
}
for (const folder of edges.keys()) if (!index.has(folder)) connect(folder);

for (const circle of circles) {
  console.error(`Folders importing each other in a circle: ${circle.join(', ')}`);
  for (const from of circle) {
    for (const [to, example] of edges.get(from) ?? []) {
      if (circle.includes(to)) console.error(`  ${example}`);
    }
  }
}
if (circles.length > 0) process.exit(1);
console.log(`No import circle between the ${edges.size} folders of src/.`);
