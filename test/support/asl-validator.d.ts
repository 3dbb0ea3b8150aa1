/** asl-validator ships no types: the part of its API the tests use. */
declare module 'asl-validator' {
  interface AslVerdict {
    isValid: boolean;
    errors: { 'Error code': string; Message: string }[];
    errorsText(separator?: string): string;
  }
  function validateAsl(
    definition: unknown,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ): AslVerdict;
  export = validateAsl;
}
