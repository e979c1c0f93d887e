/**
 * Generated sections of documentation files: the text between
 * `<!-- BEGIN GENERATED: <name> -->` and `<!-- END GENERATED: <name> -->`, rendered from
 * the code so that it cannot drift. `scripts/docs.mjs` (`make docs`) rewrites them; a unit
 * test fails while one is stale.
 */

/** One generated section: where it lives and how its content is rendered. */
export interface GeneratedSection {
  /** Path of the file, relative to the repository root. */
  readonly file: string;
  readonly name: string;
  render(): string;
}

/** A file's text as it is and as it should be. */
export interface RenderedFile {
  readonly file: string;
  readonly current: string;
  readonly fresh: string;
}

/** `text` with the section `name` replaced by `content`; throws unless the markers appear once each, in order. */
export function replaceSection(text: string, name: string, content: string): string {
  const begin = `<!-- BEGIN GENERATED: ${name} -->`;
  const end = `<!-- END GENERATED: ${name} -->`;
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start || text.includes(begin, start + 1) || text.includes(end, stop + 1)) {
    throw new Error(`expected one "${begin}" followed by one "${end}"`);
  }
  return `${text.slice(0, start + begin.length)}\n${content.trimEnd()}\n${text.slice(stop)}`;
}

/** Every file that holds generated sections, with its current text and its text with fresh sections. */
export function renderFiles(sections: readonly GeneratedSection[], readText: (file: string) => string): RenderedFile[] {
  return [...new Set(sections.map((s) => s.file))].map((file) => {
    const current = readText(file);
    const fresh = sections
      .filter((s) => s.file === file)
      .reduce((text, s) => {
        try {
          return replaceSection(text, s.name, s.render());
        } catch (err) {
          throw new Error(`${file}: ${(err as Error).message}`);
        }
      }, current);
    return { file, current, fresh };
  });
}

/** One message per file whose generated sections are stale, naming the file and the fix. */
export function staleFiles(sections: readonly GeneratedSection[], readText: (file: string) => string): string[] {
  return renderFiles(sections, readText)
    .filter((f) => f.fresh !== f.current)
    .map((f) => `${f.file} has a stale generated section: run \`make docs\` and commit the result`);
}
