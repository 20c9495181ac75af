import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * Checks of the code's shape that the type checker and the linter do not make, read with the
 * TypeScript compiler API over the same program `npm run typecheck` builds (src, tools, test).
 */
const root = path.resolve(__dirname, '..');

function loadProgram(): ts.Program {
  const configPath = path.join(root, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root);
  return ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
}

const program = loadProgram();
const checker = program.getTypeChecker();
const projectFiles = program.getSourceFiles().filter((file) => !file.isDeclarationFile && !path.relative(root, file.fileName).startsWith('node_modules'));
const relative = (file: ts.SourceFile): string => path.relative(root, file.fileName).split(path.sep).join('/');
/** The app and its tooling: the code whose exports must be imported somewhere. */
const checkedFiles = projectFiles.filter((file) => /^(src|tools)\//.test(relative(file)));

/** The symbol a name stands for wherever it is used: through imports and re-exports, as its module exports it. */
function canonical(symbol: ts.Symbol): ts.Symbol {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  return checker.getExportSymbolOfSymbol(target);
}

function declaredIn(symbol: ts.Symbol): Set<ts.SourceFile> {
  return new Set((symbol.declarations ?? []).map((declaration) => declaration.getSourceFile()));
}

function exportOf(specifier: string, from: ts.SourceFile, name: string): ts.Symbol | undefined {
  const resolved = ts.resolveModuleName(specifier, from.fileName, program.getCompilerOptions(), ts.sys).resolvedModule;
  const file = resolved === undefined ? undefined : program.getSourceFile(resolved.resolvedFileName);
  const moduleSymbol = file === undefined ? undefined : checker.getSymbolAtLocation(file);
  return moduleSymbol === undefined ? undefined : checker.getExportsOfModule(moduleSymbol).find((exported) => exported.name === name);
}

/** Every symbol each file names that is declared in another file (imports, `await import(...)` destructuring, `module.name`). */
function symbolsUsedAcrossFiles(): Set<ts.Symbol> {
  const used = new Set<ts.Symbol>();
  const note = (symbol: ts.Symbol | undefined, from: ts.SourceFile): void => {
    if (symbol === undefined) return;
    for (const candidate of [symbol, canonical(symbol)]) {
      const files = declaredIn(candidate);
      if (files.size > 0 && !files.has(from)) used.add(candidate);
    }
  };
  for (const file of projectFiles) {
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) note(checker.getSymbolAtLocation(node), file);
      // `const { TableSnapshotStore } = await import('./adapters/tableSnapshotStore')`: the name is a property of the module's type.
      if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
        const name = node.propertyName ?? node.name;
        if (ts.isIdentifier(name)) note(checker.getTypeAtLocation(node.parent).getProperty(name.text), file);
      }
      // `jest.requireActual('../../tools/functionsCore').functionsCoreApi()` is untyped: find the export by its module and name.
      if (ts.isPropertyAccessExpression(node) && ts.isCallExpression(node.expression) && /^(require|jest\.requireActual)$/.test(node.expression.expression.getText())) {
        const [specifier] = node.expression.arguments;
        if (specifier !== undefined && ts.isStringLiteral(specifier)) note(exportOf(specifier.text, file, node.name.text), file);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return used;
}

/** Function files register their function with the host when loaded; the handler they export is how the samples write them. */
const entryFiles = /^src\/functions\//;

/**
 * The modules each file of src imports from src: static imports and re-exports, `import type`
 * included (a cycle of types still means neither file can be read first), and `await import(...)`.
 */
function srcImportGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of projectFiles.filter((candidate) => relative(candidate).startsWith('src/'))) {
    const specifiers: string[] = [];
    const visit = (node: ts.Node): void => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) specifiers.push(node.moduleSpecifier.text);
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] !== undefined && ts.isStringLiteral(node.arguments[0])) specifiers.push(node.arguments[0].text);
      ts.forEachChild(node, visit);
    };
    visit(file);
    const imported = specifiers
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => ts.resolveModuleName(specifier, file.fileName, program.getCompilerOptions(), ts.sys).resolvedModule?.resolvedFileName)
      .filter((resolved): resolved is string => resolved !== undefined)
      .map((resolved) => path.relative(root, resolved).split(path.sep).join('/'))
      .filter((target) => target.startsWith('src/'));
    graph.set(relative(file), [...new Set(imported)]);
  }
  return graph;
}

/** Each import cycle, as the files around it (depth-first search; a back edge closes a cycle). */
function importCycles(graph: Map<string, string[]>): string[] {
  const cycles: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): void => {
    const open = path.indexOf(file);
    if (open >= 0) {
      cycles.push([...path.slice(open), file].join(' -> '));
      return;
    }
    if (done.has(file)) return;
    path.push(file);
    for (const imported of graph.get(file) ?? []) visit(imported);
    path.pop();
    done.add(file);
  };
  for (const file of [...graph.keys()].sort()) visit(file);
  return cycles;
}

describe('codebase', () => {
  it('when the app and its tooling are read, then every exported name is imported by another file (src, tools or test)', () => {
    const used = symbolsUsedAcrossFiles();
    const unused: string[] = [];
    for (const file of checkedFiles) {
      if (entryFiles.test(relative(file))) continue;
      const moduleSymbol = checker.getSymbolAtLocation(file);
      if (moduleSymbol === undefined) continue;
      for (const exported of checker.getExportsOfModule(moduleSymbol)) {
        if (!used.has(exported) && !used.has(canonical(exported))) unused.push(`${relative(file)}: ${exported.name}`);
      }
    }
    expect(unused).toEqual([]);
  });

  it('when the composition root is read, then it asserts no type (settings and credentials are typed so that none is needed)', () => {
    const composition = projectFiles.find((file) => relative(file) === 'src/composition.ts');
    expect(composition).toBeDefined();
    const assertions: string[] = [];
    const visit = (node: ts.Node): void => {
      const isConstAssertion = ts.isAsExpression(node) && ts.isTypeReferenceNode(node.type) && node.type.typeName.getText() === 'const';
      if ((ts.isAsExpression(node) && !isConstAssertion) || ts.isTypeAssertionExpression(node) || ts.isNonNullExpression(node)) {
        const { line } = ts.getLineAndCharacterOfPosition(node.getSourceFile(), node.getStart());
        assertions.push(`src/composition.ts:${line + 1}: ${node.getText()}`);
      }
      ts.forEachChild(node, visit);
    };
    if (composition) visit(composition);
    expect(assertions).toEqual([]);
  });

  it('when src is read, then only src/config.ts reads process.env (one module reads settings, each function only the parts it needs)', () => {
    const readers: string[] = [];
    for (const file of projectFiles.filter((candidate) => relative(candidate).startsWith('src/'))) {
      const visit = (node: ts.Node): void => {
        if (ts.isPropertyAccessExpression(node) && node.getText() === 'process.env') readers.push(relative(file));
        ts.forEachChild(node, visit);
      };
      visit(file);
    }
    expect([...new Set(readers)]).toEqual(['src/config.ts']);
  });

  it('when src is read, then no file is over 400 lines: one concept a file, short enough for a newcomer to hold in their head', () => {
    const long = projectFiles
      .filter((file) => relative(file).startsWith('src/'))
      .map((file) => ({ file: relative(file), lines: file.getLineStarts().length }))
      .filter(({ lines }) => lines > 400);
    expect(long).toEqual([]);
  });

  it('when src is read, then every type assertion (but `as const`) is one a library forces, with the reason on the line before it', () => {
    const unexplained: string[] = [];
    for (const file of projectFiles.filter((candidate) => relative(candidate).startsWith('src/'))) {
      const lines = file.getFullText().split('\n');
      const visit = (node: ts.Node): void => {
        const isConstAssertion = ts.isAsExpression(node) && ts.isTypeReferenceNode(node.type) && node.type.typeName.getText() === 'const';
        if ((ts.isAsExpression(node) && !isConstAssertion) || ts.isTypeAssertionExpression(node)) {
          const { line } = ts.getLineAndCharacterOfPosition(file, node.getStart());
          if (!/^\s*\/\//.test(lines[line - 1] ?? '')) unexplained.push(`${relative(file)}:${line + 1}: ${node.getText().slice(0, 80)}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(file);
    }
    expect(unexplained).toEqual([]);
  });

  it('when the imports of src are followed, then no module imports itself through others (each file can be read after the ones it uses)', () => {
    const graph = srcImportGraph();
    expect(graph.get('src/api/monitorStatus.ts')).toContain('src/core/errors.ts');
    expect(importCycles(graph)).toEqual([]);
  });

  it('when an import graph has a cycle, then the search names it and ends', () => {
    const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a', 'd']], ['d', ['d']], ['e', ['a']]]);
    expect(importCycles(graph)).toEqual(['a -> b -> c -> a', 'd -> d']);
  });
});
