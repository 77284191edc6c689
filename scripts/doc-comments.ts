// Every export of app/ says what it is for: this lists the exported declarations of a
// source file that have no doc comment (`/** … */`) in front of them.
import ts from 'typescript';

/** The exported names declared in `source` without a doc comment, as `name (line N)`. */
export function undocumentedExports(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const missing: string[] = [];
  // The doc comment must stand right before the declaration: a file's header comment
  // above the first export, set off by a blank line, documents the file, not the export.
  const documented = (node: ts.Node): boolean =>
    (ts.getLeadingCommentRanges(source, node.getFullStart()) ?? []).some((range) => source.startsWith('/**', range.pos) && !/\n[ \t]*\r?\n/.test(source.slice(range.end, node.getStart())));
  const report = (name: string, node: ts.Node) => missing.push(`${name} (line ${file.getLineAndCharacterOfPosition(node.getStart()).line + 1})`);
  let previousFunction: string | undefined;
  for (const statement of file.statements) {
    const exported = ts.canHaveModifiers(statement) && (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (!exported) continue;
    if (ts.isVariableStatement(statement)) {
      if (!documented(statement)) for (const d of statement.declarationList.declarations) report(d.name.getText(file), statement);
      continue;
    }
    const named = statement as ts.DeclarationStatement;
    const name = named.name?.getText(file) ?? 'default';
    // An overloaded function is documented once, on its first signature.
    const overload = ts.isFunctionDeclaration(statement) && name === previousFunction;
    previousFunction = ts.isFunctionDeclaration(statement) ? name : undefined;
    if (!overload && !documented(statement)) report(name, statement);
  }
  return missing;
}
