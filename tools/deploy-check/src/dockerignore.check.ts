import { type Violation, violation } from './violation';

interface IgnorePattern {
  readonly exclusion: boolean;
  readonly regex: RegExp;
}

/** What must never reach a build context, at the root and inside any app or lib. */
export const NEVER_IN_CONTEXT = ['.env', 'node_modules', '.data', '.git'] as const;

function escapeRegex(character: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(character) ? `\\${character}` : character;
}

/** Docker's pattern syntax (moby/patternmatcher): `*` and `?` within a segment, `**` across segments. */
function toRegex(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index++) {
    const character = pattern.charAt(index);
    if (character === '*' && pattern[index + 1] === '*') {
      index++;
      if (pattern[index + 1] === '/') {
        index++;
        source += '(.*/)?';
      } else {
        source += '.*';
      }
    } else if (character === '*') {
      source += '[^/]*';
    } else if (character === '?') {
      source += '[^/]';
    } else if (character === '[') {
      const end = pattern.indexOf(']', index);
      if (end < 0) source += '\\[';
      else {
        source += pattern.slice(index, end + 1);
        index = end;
      }
    } else if (character === '\\' && index + 1 < pattern.length) {
      source += escapeRegex(pattern.charAt(++index));
    } else {
      source += escapeRegex(character);
    }
  }
  return new RegExp(`^${source}$`);
}

export function parseDockerignore(text: string): IgnorePattern[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => {
      const exclusion = line.startsWith('!');
      const cleaned = (exclusion ? line.slice(1).trim() : line).replace(/^(\.?\/)+/, '').replace(/\/+$/, '');
      return { exclusion, regex: toRegex(cleaned) };
    });
}

/** Docker's rule: the last pattern that matches the path, or one of its parent directories, decides. */
export function isIgnored(patterns: readonly IgnorePattern[], path: string): boolean {
  const segments = path.split('/');
  const candidates = segments.map((_, index) => segments.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const pattern of patterns) {
    if (pattern.exclusion !== ignored) continue;
    if (candidates.some((candidate) => pattern.regex.test(candidate))) ignored = !pattern.exclusion;
  }
  return ignored;
}

export interface DockerignoreTarget {
  readonly file: string;
  /** Paths a Dockerfile COPYs from the context, which must stay in it. */
  readonly buildInputs: readonly string[];
  /** Directories of projects (apps/x, libs/y), where the excluded names must be excluded too. */
  readonly projectDirectories: readonly string[];
}

export function checkDockerignore(text: string, target: DockerignoreTarget): Violation[] {
  const patterns = parseDockerignore(text);
  const found: Violation[] = [];
  for (const name of NEVER_IN_CONTEXT) {
    const leaks = ['', ...target.projectDirectories.map((directory) => `${directory}/`)]
      .flatMap((prefix) => [`${prefix}${name}`, `${prefix}${name}/inner`])
      .filter((path) => !isIgnored(patterns, path));
    if (leaks.length > 0) {
      found.push(
        violation('dockerignore/excludes', target.file, `must exclude ${name} (it lets in ${leaks[0]})`),
      );
    }
  }
  for (const input of target.buildInputs) {
    if (isIgnored(patterns, input)) {
      found.push(
        violation(
          'dockerignore/build-inputs',
          target.file,
          `excludes ${input}, which a Dockerfile COPYs from the build context`,
        ),
      );
    }
  }
  return found;
}
