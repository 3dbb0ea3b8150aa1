/**
 * The terminal, as the commands see it: machine-readable results on stdout, people's text on
 * stderr, colour only on a terminal and never with NO_COLOR, questions only when someone can answer.
 */
import { createInterface } from 'node:readline/promises';

export interface Io {
  /** The machine-readable result: one JSON document on stdout. */
  json(value: unknown): void;
  /** Text for people, on stderr. */
  say(text?: string): void;
  /** Whether a person is at a terminal: stdin and stderr both are one. */
  interactive: boolean;
  /** Whether stderr is a terminal (progress goes there). */
  stderrIsTerminal: boolean;
  colour: Palette;
  /** Ask a yes/no question on the terminal; anything but y or yes is no. */
  confirm(question: string): Promise<boolean>;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export interface Palette {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

interface Streams {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export function createIo(streams: Streams = process): Io {
  const { stdin, stdout, stderr, env } = streams;
  const stderrIsTerminal = stderr.isTTY === true;
  return {
    json: (value) => stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    say: (text = '') => stderr.write(`${text}\n`),
    interactive: stdin.isTTY === true && stderrIsTerminal,
    stderrIsTerminal,
    colour: createPalette(stderrIsTerminal && colourAllowed(env)),
    stderr,
    env,
    async confirm(question) {
      const prompt = createInterface({ input: stdin, output: stderr });
      try {
        const answer = await prompt.question(`${question} [y/N] `);
        return /^y(es)?$/i.test(answer.trim());
      } finally {
        prompt.close();
      }
    },
  };
}

/** NO_COLOR set to anything but the empty string turns colour off (no-color.org); so does TERM=dumb. */
export function colourAllowed(env: NodeJS.ProcessEnv): boolean {
  return !env.NO_COLOR && env.TERM !== 'dumb';
}

function createPalette(enabled: boolean): Palette {
  const sgr = (open: number, close: number) => (text: string) =>
    enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return { red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), bold: sgr(1, 22), dim: sgr(2, 22) };
}
