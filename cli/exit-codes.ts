/** The CLI's exit codes, the same for every command (and listed in each command's --help). */
export const EXIT = {
  /** Done: the key is usable, the policy is fixed, the run went through. */
  ok: 0,
  /** The key or the run has problems (the output says which). */
  problems: 1,
  /** A flag is missing or wrong; nothing was called. */
  usage: 2,
  /** A change was needed and not confirmed (no --yes with no terminal, or the answer was no); nothing was changed. */
  notConfirmed: 3,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  done (the key is usable / the policy is fixed / the run went through)
  1  problems (the output names them)
  2  a bad or missing flag; nothing was called
  3  a change was not confirmed (no --yes without a terminal, or the answer was no); nothing changed`;
