// The sample content the demo's server starts with: a few text files, a folder of photo-sized binaries
// (a few MiB: big enough that opening one is a visible download) and a nested project folder.
import fs from 'node:fs';
import path from 'node:path';

export interface SampleFile {
  /** Relative to the server folder, with `/` separators. */
  path: string;
  data: Buffer;
}

const text = (p: string, lines: string[]): SampleFile => ({
  path: p,
  data: Buffer.from(`${lines.join('\n')}\n`, 'utf8'),
});

/** JPEG-looking bytes of a given size: the format's first bytes, then deterministic noise (xorshift32). */
function photo(p: string, size: number, seed: number): SampleFile {
  const data = Buffer.alloc(size);
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]).copy(data);
  let x = seed >>> 0 || 1;
  for (let i = 11; i + 4 <= size - 2; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data.writeUInt32LE(x >>> 0, i);
  }
  data[size - 2] = 0xff;
  data[size - 1] = 0xd9;
  return { path: p, data };
}

const KiB = 1024;

/** The whole sample tree. Deterministic, so a test can compare what it reads with what is here. */
export function sampleFiles(): SampleFile[] {
  return [
    text('notes/readme.txt', [
      'Hello from the server!',
      '',
      'This file lives on the demo server. On your side it started as a placeholder, a symlink into the',
      'sshfs mount; opening it made lazysync download it, and now it is an ordinary local file.',
      'Edit it and the change goes back to the server within a second.',
    ]),
    text('notes/todo.md', [
      '# To do',
      '',
      '- [x] try lazysync demo',
      '- [ ] open a photo',
      '- [ ] edit a note',
    ]),
    text('notes/recipes/pancakes.txt', [
      'Pancakes',
      '',
      '250 g flour, 2 eggs, 500 ml milk, a pinch of salt.',
    ]),
    photo('photos/2024-summer/IMG_0001.jpg', 1536 * KiB, 1),
    photo('photos/2024-summer/IMG_0002.jpg', 1100 * KiB, 2),
    photo('photos/2024-summer/IMG_0003.jpg', 900 * KiB, 3),
    photo('photos/2025-winter/IMG_0104.jpg', 1300 * KiB, 4),
    text('project/README.md', ['# A small project', '', 'Build with `make`; sources are in src/.']),
    text('project/Makefile', ['app: src/main.c src/util/strings.c', '\tcc -o app $^']),
    text('project/src/main.c', [
      '#include <stdio.h>',
      '',
      'int main(void) {',
      '  puts("hello");',
      '  return 0;',
      '}',
    ]),
    text('project/src/util/strings.c', [
      '#include <string.h>',
      '',
      'size_t length(const char *s) { return strlen(s); }',
    ]),
    text('project/docs/design.md', ['# Design', '', 'Small modules, names that explain.']),
  ];
}

/** Writes the sample tree below `root` (which must exist). */
export function writeSamples(root: string, files: SampleFile[] = sampleFiles()): void {
  for (const f of files) {
    const target = path.join(root, ...f.path.split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.data);
  }
}
